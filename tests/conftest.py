"""Test-wide isolation: every test session gets its own data dir, database and MLflow store."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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


# -- a local OpenAI-compatible chat-completions server (no real LLM runs in CI) -----------------


class FakeLLM:
    """Speaks the chat-completions protocol on 127.0.0.1; records requests, answers ``reply``.

    ``reply(body)`` builds the response (default: ``{"label": self.label}`` as JSON content);
    requests without ``Bearer <key>`` get 401; ``refuse_response_format`` answers 400 to
    structured-output requests (servers that do not support them).
    """

    def __init__(self, key: str = "test-key") -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.key = key
        self.label = "NEUTRAL"
        self.reply = lambda body: self.completion(json.dumps({"label": self.label}))
        self.refuse_response_format = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                if self.headers.get("Authorization") != f"Bearer {fake.key}":
                    return self._send(401, {"error": {"message": "bad key"}})
                if fake.refuse_response_format and "response_format" in body:
                    return self._send(400, {"error": {"message": "response_format unsupported"}})
                self._send(200, fake.reply(body))

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def completion(content: str, tokens: list[tuple[str, float]] | None = None) -> dict[str, Any]:
        """A chat-completion response; ``tokens``: (token, logprob) pairs for ``logprobs``."""
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
        }
        if tokens is not None:
            choice["logprobs"] = {
                "content": [
                    {"token": t, "logprob": lp, "bytes": list(t.encode()), "top_logprobs": []}
                    for t, lp in tokens
                ]
            }
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "test-model",
            "choices": [choice],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm_server():
    server = FakeLLM()
    yield server
    server.close()


@pytest.fixture
def cli_project_key():
    """``modlab projects create NAME`` as a user runs it (with ``env``); returns the API key."""
    import subprocess
    import sys

    def create(env: dict[str, str], name: str) -> str:
        created = subprocess.run(
            [str(Path(sys.executable).parent / "modlab"), "projects", "create", name],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return created.stdout.split("api key: ")[1].split()[0]

    return create
