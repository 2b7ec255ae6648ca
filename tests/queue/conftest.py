"""Fixtures for the review-queue routes: an app on a fresh database and projects with keys."""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from modlab.projects import ProjectView
from modlab.serving.app import create_app
from modlab.serving.runtime import Runtime
from modlab.settings import Settings

ADMIN_KEY = "admin-secret-key-for-tests"


@dataclass
class ApiProject:
    project: ProjectView
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
def settings(tmp_path, database_url) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        admin_key=ADMIN_KEY,
        webhook_worker=False,
        webhook_backoff_base_s=0.2,
    )


@pytest.fixture
def runtime(settings) -> Runtime:
    return Runtime.create(settings)


@pytest.fixture
def client(runtime) -> TestClient:
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
