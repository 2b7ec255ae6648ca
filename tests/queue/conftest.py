"""Review-queue routes: the root conftest's app, on SQLite or PostgreSQL, no webhook worker."""

from __future__ import annotations

import pytest

from modlab.settings import Settings


@pytest.fixture
def settings(settings, database_url) -> Settings:
    """The root conftest's settings (a parent fixture of the same name), adjusted."""
    return settings.model_copy(
        update={
            "database_url": database_url,
            "webhook_worker": False,
            "webhook_backoff_base_s": 0.2,
        }
    )
