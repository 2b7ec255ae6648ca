"""Custom models from the MLflow registry: the ``champion`` version is what is served.

"Retrain replaces the old model when done": promoting a new version moves the alias;
the service notices within ``settings.model_poll_s`` seconds (or at once through the
reload route) and swaps the model without a restart.
"""

from __future__ import annotations

import logging
import threading
import time

from modlab.analyzers.base import Analyzer
from modlab.analyzers.registry import add_resolver
from modlab.analyzers.trained import PredictorAnalyzer

log = logging.getLogger("modlab.analyzers")

BUILTIN_PREFIX = "builtin-"


class ChampionCache:
    """Loaded champions keyed by model name, re-checked at most every ``poll_s`` seconds."""

    def __init__(self, poll_s: float = 10.0) -> None:
        self.poll_s = poll_s
        self._models: dict[str, tuple[PredictorAnalyzer, float]] = {}
        self._names: tuple[set[str], float] | None = None
        self._lock = threading.Lock()

    def known_models(self) -> set[str]:
        """Registered custom model names (cached ``poll_s`` seconds)."""
        now = time.monotonic()
        if self._names is None or now - self._names[1] > self.poll_s:
            from modlab.training.tracking import configure

            try:
                names = {
                    m.name
                    for m in configure().search_registered_models(max_results=1000)
                    if not m.name.startswith(BUILTIN_PREFIX)
                }
            except Exception:  # a missing/locked tracking store must not break the API
                log.exception("could not list registered models")
                names = set()
            self._names = (names, now)
        return set(self._names[0])

    def get(self, name: str, *, force: bool = False) -> PredictorAnalyzer | None:
        now = time.monotonic()
        with self._lock:
            cached = self._models.get(name)
            if cached and not force and now - cached[1] < self.poll_s:
                return cached[0]
        if name not in self.known_models() and not force:
            return None
        from modlab.training.tracking import champion_version, load_version

        try:
            version = champion_version(name)
        except Exception:
            return cached[0] if cached else None
        if version is None:
            return None
        if cached and cached[0].version == str(version):
            with self._lock:
                self._models[name] = (cached[0], now)
            return cached[0]
        analyzer = PredictorAnalyzer(name, load_version(name, version), version=str(version))
        log.info("serving %s version %s", name, version)
        with self._lock:
            self._models[name] = (analyzer, now)
        return analyzer

    def reload(self, name: str) -> PredictorAnalyzer | None:
        self._names = None
        return self.get(name, force=True)


_cache: ChampionCache | None = None


def champion_cache() -> ChampionCache:
    global _cache
    if _cache is None:
        from modlab.settings import get_settings

        _cache = ChampionCache(get_settings().model_poll_s)
        add_resolver(_resolve)
    return _cache


def _resolve(name: str) -> Analyzer | None:
    return champion_cache().get(name)
