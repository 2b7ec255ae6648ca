"""Fixtures: a fresh database per test (SQLite; PostgreSQL when ``MODLAB_TEST_PG_URL`` is set).

``MODLAB_TEST_PG_URL=postgresql+psycopg://user@host:port/postgres`` runs the same tests against a
throw-away PostgreSQL database per test (created and dropped through that server).
"""

import os
import uuid
from pathlib import Path

import pytest

from modlab.data import ExampleStore

FILES = Path(__file__).parent / "files"


@pytest.fixture
def db_url(tmp_path):
    server = os.environ.get("MODLAB_TEST_PG_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'modlab.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"modlab_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    yield url
    from modlab.storage import db as db_mod

    cached = db_mod._databases.pop(url, None)
    if cached is not None:
        cached.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
