"""Fixtures: a fresh database per test (SQLite; PostgreSQL when ``MODLAB_TEST_PG_URL`` is set).

``MODLAB_TEST_PG_URL=postgresql+psycopg://user@host:port/postgres`` runs the same tests against a
throw-away PostgreSQL database per test (created and dropped through that server).
"""

from pathlib import Path

import pytest

from modlab.data import ExampleStore

FILES = Path(__file__).parent / "files"


@pytest.fixture
def db_url(tmp_path, database_url):
    """The root conftest's throw-away PostgreSQL database, else a SQLite file per test."""
    return database_url or f"sqlite:///{tmp_path / 'modlab.db'}"


@pytest.fixture
def store(db_url):
    return ExampleStore(db_url)


@pytest.fixture
def spam(store):
    """A single-label model: HAM (neutral, index 0) and SPAM (index 1)."""
    store.create_model(
        "sms-spam",
        {"HAM": "Ordinary personal messages", "SPAM": "Unsolicited advertising or scams"},
        neutral="HAM",
    )
    return "sms-spam"


@pytest.fixture
def topics(store):
    """A multi-label model."""
    store.create_model(
        "topics",
        {"SPORT": "Sports", "POLITICS": "Politics", "MONEY": "Finance and prices"},
        multi_label=True,
    )
    return "topics"
