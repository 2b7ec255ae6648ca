"""Imports every table module so ``Base.metadata`` is complete (used by Alembic)."""

from modlab.storage import agents, models, queue, workbench  # noqa: F401
from modlab.storage.db import Base

metadata = Base.metadata
