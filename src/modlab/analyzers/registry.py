"""Where the service finds analyzers: built-ins by name, custom models by id."""

from __future__ import annotations

import threading
from collections.abc import Callable

from modlab.analyzers.base import Analyzer

_FACTORIES: dict[str, Callable[[], Analyzer]] = {}
_INSTANCES: dict[str, Analyzer] = {}
_RESOLVERS: list[Callable[[str], Analyzer | None]] = []
_lock = threading.Lock()


class AnalyzerUnavailable(LookupError):
    """The analyzer exists in principle but is not built/registered on this installation."""


class AnalyzerNotBuilt(AnalyzerUnavailable):
    """A built-in analyzer whose model is not built (yet): temporary, HTTP 503 not 404."""


def register_analyzer(name: str, factory: Callable[[], Analyzer]) -> None:
    """Register a built-in analyzer factory (called lazily, once)."""
    _FACTORIES[name] = factory


def add_resolver(resolver: Callable[[str], Analyzer | None]) -> None:
    """Add a lookup for dynamic analyzers (e.g. custom models from the MLflow registry)."""
    _RESOLVERS.append(resolver)


def analyzer_names() -> list[str]:
    _load_builtins()
    return sorted(_FACTORIES)


def _load_builtins() -> None:
    import modlab.analyzers.builtin  # noqa: F401  (registers the built-in analyzers)


def get_analyzer(name: str) -> Analyzer:
    _load_builtins()
    with _lock:
        if name in _INSTANCES:
            return _INSTANCES[name]
        if name in _FACTORIES:
            _INSTANCES[name] = _FACTORIES[name]()
            return _INSTANCES[name]
    for resolve in _RESOLVERS:
        found = resolve(name)
        if found is not None:
            return found
    raise AnalyzerUnavailable(f"no analyzer or model named {name!r} is available")


def forget(name: str) -> None:
    """Drop a cached instance so the next call reloads it (after a model promotion)."""
    with _lock:
        _INSTANCES.pop(name, None)
