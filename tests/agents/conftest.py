"""An app on a fresh database, projects with keys, and a local OpenAI-protocol server.

No real LLM runs in CI: ``FakeLLM`` speaks the chat-completions protocol on 127.0.0.1 and
answers with a scripted label, which is what the agent evaluation path is tested against.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from modlab.settings import Settings, get_settings

LLM_KEY = "llm-test-key"


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
def fake_llm(llm_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The local protocol server, configured as the LLM backend through the settings."""
    server = llm_server
    server.key = LLM_KEY
    monkeypatch.setenv("MODLAB_LLM_BASE_URL", server.url + "/v1")
    monkeypatch.setenv("MODLAB_LLM_API_KEY", LLM_KEY)
    monkeypatch.setenv("MODLAB_LLM_MODEL", "fake-model")
    get_settings.cache_clear()
    yield server
    get_settings.cache_clear()


@pytest.fixture
def settings(settings) -> Settings:
    return settings.model_copy(update={"webhook_worker": False})
