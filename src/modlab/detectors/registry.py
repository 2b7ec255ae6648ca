"""One registry of detectors, used by the service, the CLI and the notebooks."""

from __future__ import annotations

from collections.abc import Callable

from modlab.detectors.base import Detector

_FACTORIES: dict[str, Callable[[], Detector]] = {}
_INSTANCES: dict[str, Detector] = {}


def register(name: str) -> Callable[[type[Detector]], type[Detector]]:
    """Class decorator: make a detector available under ``name``."""

    def decorate(cls: type[Detector]) -> type[Detector]:
        cls.name = name
        _FACTORIES[name] = cls
        return cls

    return decorate


def detector_names() -> list[str]:
    _load_builtins()
    return sorted(_FACTORIES)


def get_detector(name: str) -> Detector:
    """The shared instance of detector ``name`` (created on first use)."""
    _load_builtins()
    if name not in _FACTORIES:
        raise KeyError(f"unknown detector {name!r}; known: {', '.join(sorted(_FACTORIES))}")
    if name not in _INSTANCES:
        _INSTANCES[name] = _FACTORIES[name]()
    return _INSTANCES[name]


def _load_builtins() -> None:
    # Importing the package registers every built-in detector module.
    import modlab.detectors.builtin  # noqa: F401
