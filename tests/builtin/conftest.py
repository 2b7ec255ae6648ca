"""Quick builds of the built-in analyzers into a private data dir, shared by this package."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

BUILT = ("toxicity", "openai", "sightengine", "propriety", "nsfw", "sentiment")


def _forget_all() -> None:
    from modlab.analyzers.registry import forget

    for name in BUILT + ("quality",):
        forget(name)


@pytest.fixture(scope="package")
def builtin_data_dir(tmp_path_factory) -> Path:
    """MODLAB_DATA_DIR for this package only (the quick models must not leak elsewhere)."""
    from modlab.settings import get_settings

    path = tmp_path_factory.mktemp("builtin") / "var"
    before = os.environ.get("MODLAB_DATA_DIR")
    os.environ["MODLAB_DATA_DIR"] = str(path)
    get_settings.cache_clear()
    _forget_all()
    yield path
    _forget_all()
    if before is None:
        os.environ.pop("MODLAB_DATA_DIR", None)
    else:
        os.environ["MODLAB_DATA_DIR"] = before
    get_settings.cache_clear()


@pytest.fixture(scope="package")
def quick_models(builtin_data_dir) -> dict[str, Path]:
    """Every built-in analyzer but quality built with ``quick=True``.

    Only toxicity is logged and registered in MLflow (logging costs far more than the quick
    fit itself); the others take the same path with ``log=False``.
    """
    from modlab.builtin.build import build_builtin
    from modlab.settings import get_settings

    get_settings.cache_clear()
    return {name: build_builtin(name, quick=True, log=name == "toxicity") for name in BUILT}


@pytest.fixture
def served(quick_models):
    """(TestClient, auth headers) over the real app, with the quick models installed."""
    from fastapi.testclient import TestClient

    from modlab.serving.app import create_app
    from modlab.serving.runtime import Runtime
    from modlab.settings import get_settings

    get_settings.cache_clear()
    runtime = Runtime.create(get_settings())
    runtime.ready.set()
    project, key = runtime.projects.create(f"builtin-{secrets.token_hex(3)}", None)
    client = TestClient(create_app(runtime), raise_server_exceptions=False)
    return client, {"Authorization": f"Bearer {key}"}, runtime, key
