"""Everything a service process holds once: settings, database, stores, models."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from modlab.detectors import detector_names, get_detector
from modlab.moderation.log import RequestLogStore
from modlab.projects import ProjectStore
from modlab.serving.ratelimit import RateLimiter
from modlab.settings import Settings, get_settings
from modlab.storage.db import Database, get_database
from modlab.webhooks import WebhookWorker, start_worker

log = logging.getLogger("modlab.serving")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    projects: ProjectStore
    requests: RequestLogStore
    limiter: RateLimiter = field(default_factory=RateLimiter)
    ready: threading.Event = field(default_factory=threading.Event)
    webhook_worker: WebhookWorker | None = None  # started by warm_up (modlab.webhooks)

    @classmethod
    def create(cls, settings: Settings | None = None) -> Runtime:
        settings = settings or get_settings()
        settings.ensure_dirs()
        db = get_database(settings.database)
        from modlab.analyzers.custom import champion_cache

        projects = ProjectStore(db, known_models=champion_cache().known_models)
        return cls(settings=settings, db=db, projects=projects, requests=RequestLogStore(db))

    def warm_up(self) -> None:
        """Load every detector (and its resources) before declaring the service ready."""
        for name in detector_names():
            detector = get_detector(name)
            try:
                detector.detect("warm up text with example@example.com")
            except Exception:  # a broken detector must not keep the service down
                log.exception("detector %s failed to warm up", name)
        try:
            from modlab.analyzers.language import warm_up as warm_language
            from modlab.detectors.profanity import warm_up as warm_profanity

            warm_profanity(("en",))
            warm_language()
        except Exception:
            log.exception("language models failed to warm up")
        try:
            self._warm_analyzers()
        except Exception:  # e.g. the database is briefly locked: serve, load lazily
            log.exception("analyzers failed to warm up")
        self.webhook_worker = self.webhook_worker or start_worker(self.db, self.settings)
        self.ready.set()

    def _warm_analyzers(self) -> None:
        """Load the analyzers some project enables, so the first request does not pay for it."""
        from modlab.analyzers.registry import AnalyzerUnavailable, get_analyzer
        from modlab.projects.filters import DETECTOR_NAMES

        wanted = {
            name
            for project in self.projects.list()
            for name, entry in project.filter.items()
            if entry.get("enabled", True)
            and name not in DETECTOR_NAMES
            and name != "language"
            and not name.startswith("agent:")  # LLM-judged, nothing to load
        }
        for name in sorted(wanted):
            try:
                get_analyzer(name).predict(["warm up"])
            except AnalyzerUnavailable as exc:
                log.warning("analyzer %s is not available: %s", name, exc)
            except Exception:
                log.exception("analyzer %s failed to warm up", name)
