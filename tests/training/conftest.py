"""Shared fixtures: small synthetic text data sets and a throw-away MLflow store."""

from __future__ import annotations

import numpy as np
import pytest

SPAM_WORDS = [
    "win",
    "free",
    "prize",
    "cash",
    "claim",
    "urgent",
    "offer",
    "winner",
    "txt",
    "reply",
    "bonus",
]
HAM_WORDS = [
    "lunch",
    "meeting",
    "tomorrow",
    "home",
    "dinner",
    "mum",
    "later",
    "sorry",
    "traffic",
    "class",
]
FILLER = ["the", "a", "you", "to", "and", "is", "it", "on", "for", "this"]


def make_spam(n: int = 200, spam_share: float = 0.3, noise: float = 0.1, seed: int = 0):
    """Texts labelled SPAM/NEUTRAL; ``noise`` of words come from the other class."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        spam = rng.random() < spam_share
        own, other = (SPAM_WORDS, HAM_WORDS) if spam else (HAM_WORDS, SPAM_WORDS)
        words = [
            str(rng.choice(other if rng.random() < noise else own))
            for _ in range(rng.integers(3, 8))
        ]
        words += [str(rng.choice(FILLER)) for _ in range(2)]
        rng.shuffle(words)
        texts.append(" ".join(words) + f" {i}")  # unique texts
        labels.append("SPAM" if spam else "NEUTRAL")
    return texts, labels


TOPICS = {
    "TOXICITY": ["idiot", "stupid", "moron", "loser", "pathetic"],
    "PROFANITY": ["damn", "hell", "crap", "bloody", "freaking"],
    "DISCRIMINATION": ["those", "people", "go", "back", "where", "they", "came"],
}


def make_multilabel(n: int = 300, seed: int = 0):
    """Texts with 0–2 of three labels, each signalled by its own words."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    names = list(TOPICS)
    for i in range(n):
        k = rng.choice([0, 1, 1, 2])
        chosen = sorted(rng.choice(names, size=k, replace=False).tolist()) if k else []
        words = [str(rng.choice(FILLER + HAM_WORDS)) for _ in range(4)]
        for name in chosen:
            words += [str(rng.choice(TOPICS[name])) for _ in range(2)]
        rng.shuffle(words)
        texts.append(" ".join(words) + f" {i}")
        labels.append(chosen)
    return texts, labels, names


@pytest.fixture
def spam_data():
    return make_spam()


@pytest.fixture
def multilabel_data():
    return make_multilabel()


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch):
    """Point settings (and so MLflow) at a temporary SQLite store and artifact root."""
    from modlab.settings import get_settings

    data = tmp_path / "var"
    monkeypatch.setenv("MODLAB_DATA_DIR", str(data))
    monkeypatch.setenv("MODLAB_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("MODLAB_MLFLOW_ARTIFACT_ROOT", str(tmp_path / "mlruns"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
