"""Test-wide isolation: every test session gets its own data dir, database and MLflow store."""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from dataclasses import dataclass
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


# -- the HTTP API on a fresh database: shared by tests/core, queue, webhooks and agents ---------
# (a directory's conftest overrides ``settings`` when it needs other service settings)

ADMIN_KEY = "admin-secret-key-for-tests"


@dataclass
class ApiProject:
    """A project and its plain API key, as a client holds them."""

    project: object  # modlab.projects.ProjectView
    key: str

    @property
    def id(self) -> str:
        return self.project.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def database_url(tmp_path):
    """SQLite per test; a throw-away PostgreSQL database when ``MODLAB_TEST_PG_URL`` is set."""
    server = os.environ.get("MODLAB_TEST_PG_URL")
    if not server:
        yield None
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
def settings(tmp_path):
    from modlab.settings import Settings

    return Settings(data_dir=tmp_path / "var", admin_key=ADMIN_KEY)


@pytest.fixture
def runtime(settings):
    from modlab.serving.runtime import Runtime

    rt = Runtime.create(settings)
    yield rt
    if rt.webhook_worker is not None:
        rt.webhook_worker.stop()


@pytest.fixture
def client(runtime):
    from fastapi.testclient import TestClient

    from modlab.serving.app import create_app

    return TestClient(create_app(runtime), raise_server_exceptions=False)


@pytest.fixture
def make_project(runtime):
    def make(name: str | None = None, filter: dict | None = None) -> ApiProject:
        project, key = runtime.projects.create(name or f"p-{secrets.token_hex(4)}", filter)
        return ApiProject(project, key)

    return make


@pytest.fixture
def proj(make_project) -> ApiProject:
    return make_project()


@pytest.fixture
def moderate(client):
    """POST one text for moderation as ``who``; returns the request id."""

    def send(who: ApiProject, value: str, **fields) -> str:
        r = client.post(
            "/api/v1/moderation/text", headers=who.headers, json={"value": value, **fields}
        )
        assert r.status_code == 200, r.text
        return r.json()["request"]["id"]

    return send
