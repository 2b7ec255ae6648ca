"""A real local Argilla stack for the annotation integration tests (one per test session).

The stack gets its own data dir and free ports (passed as a ``Settings`` object, the process
environment is left alone), so a developer's `modlab argilla up` on the default ports keeps
running undisturbed. The Argilla venv (`.venv-argilla`) is shared and installed on first use
(about 20 s with an empty uv cache).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from modlab.settings import Settings

ANNOTATOR_PASSWORD = "annotator-pass-123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def argilla_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from modlab.annotation import argilla_stack

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("argilla-data"),
        argilla_url=f"http://127.0.0.1:{_free_port()}",
        argilla_engine_port=_free_port(),
        argilla_redis_port=_free_port(),
    )
    try:
        start = time.monotonic()
        result = argilla_stack.up(settings)
        print(f"\nArgilla stack up in {time.monotonic() - start:.1f}s: {result['timings_s']}")
        yield settings
    finally:
        print(f"\nArgilla stack down: {argilla_stack.down(settings)}")
