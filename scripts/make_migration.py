"""Autogenerate an Alembic revision from the tables: ``python scripts/make_migration.py MSG``."""

import sys
import tempfile

from alembic import command
from alembic.config import Config

from modlab.storage.db import MIGRATIONS_DIR, make_engine, upgrade

with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{tmp}/head.db"
    engine = make_engine(url)
    upgrade(engine)  # the database at the current head
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    command.revision(cfg, message=" ".join(sys.argv[1:]) or "schema change", autogenerate=True)
