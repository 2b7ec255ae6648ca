"""Test-wide isolation: every test session gets its own data dir, database and MLflow store."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="modlab-tests-"))
os.environ["MODLAB_DATA_DIR"] = str(_SESSION_DIR / "var")
os.environ["MODLAB_MLFLOW_ARTIFACT_ROOT"] = str(_SESSION_DIR / "mlruns")
os.environ.pop("MODLAB_DATABASE_URL", None)
os.environ.pop("MODLAB_MLFLOW_TRACKING_URI", None)


@pytest.fixture(scope="session")
def session_dir() -> Path:
    return _SESSION_DIR


@pytest.fixture(autouse=True)
def _fresh_settings():
    """Settings are cached per process; drop the cache around each test."""
    from modlab.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
