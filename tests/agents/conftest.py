"""An app on a fresh database, projects with keys, and a local OpenAI-protocol server.

No real LLM runs in CI: ``FakeLLM`` speaks the chat-completions protocol on 127.0.0.1 and
answers with a scripted label, which is what the agent evaluation path is tested against.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from modlab.settings import Settings, get_settings

LLM_KEY = "llm-test-key"


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class FakeLLM:
    """A tiny OpenAI-compatible server: records requests, answers ``{"label": self.label}``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.label = "NEUTRAL"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                if self.headers.get("Authorization") != f"Bearer {LLM_KEY}":
                    return self._send(401, {"error": {"message": "bad key"}})
                self._send(200, completion(json.dumps({"label": fake.label})))

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def no_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No LLM backend at all: no endpoint, and llama.cpp reported missing."""
    from modlab.annotation.backends import llama_cpp

    monkeypatch.delenv("MODLAB_LLM_BASE_URL", raising=False)
    monkeypatch.setattr(llama_cpp, "llama_cpp_status", lambda: "llama-cpp-python not installed")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    """The local protocol server, configured as the LLM backend through the settings."""
    server = FakeLLM()
    monkeypatch.setenv("MODLAB_LLM_BASE_URL", server.url)
    monkeypatch.setenv("MODLAB_LLM_API_KEY", LLM_KEY)
    monkeypatch.setenv("MODLAB_LLM_MODEL", "fake-model")
    get_settings.cache_clear()
    yield server
    server.close()
    get_settings.cache_clear()


@pytest.fixture
def settings(settings) -> Settings:
    return settings.model_copy(update={"webhook_worker": False})
