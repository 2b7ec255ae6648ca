from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from modlab.projects import ProjectView
from modlab.serving.app import create_app
from modlab.serving.runtime import Runtime
from modlab.settings import Settings


@dataclass
class ApiProject:
    project: ProjectView
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "var", admin_key="admin-secret-key-for-tests")


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
