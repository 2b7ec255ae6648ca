from pathlib import Path

import pytest

from modlab.data import ExampleStore

FILES = Path(__file__).parent / "files"


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'modlab.db'}"


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
