"""A real local Argilla stack for the annotation integration tests (one per test session).

The stack gets its own data dir and free ports, so a developer's `modlab argilla up` on the
default ports keeps running undisturbed. The Argilla venv (`.venv-argilla`) is shared and
installed on first use (about 25 s with a warm uv cache).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest

from modlab.settings import Settings, get_settings

ANNOTATOR_PASSWORD = "annotator-pass-123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def argilla_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from modlab.annotation import argilla_stack

    env = {
        "MODLAB_DATA_DIR": str(tmp_path_factory.mktemp("argilla-data")),
        "MODLAB_ARGILLA_URL": f"http://127.0.0.1:{_free_port()}",
        "MODLAB_ARGILLA_ENGINE_PORT": str(_free_port()),
        "MODLAB_ARGILLA_REDIS_PORT": str(_free_port()),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    get_settings.cache_clear()
    settings = get_settings()
    try:
        start = time.monotonic()
        result = argilla_stack.up(settings)
        print(f"\nArgilla stack up in {time.monotonic() - start:.1f}s: {result['timings_s']}")
        yield settings
    finally:
        print(f"\nArgilla stack down: {argilla_stack.down(settings)}")
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
