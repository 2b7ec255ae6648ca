"""Everything a service process holds once: settings, database, stores, models.

The service (``Runtime.create(service=True)``, one per BentoML worker process) keeps the
per-request work lean: API keys are resolved from a short-lived cache, request-log rows and
usage are written by a background writer in batches (``modlab.moderation.log``), and with
more than one worker the per-project rate limits are counted in a file shared by the workers.
Tests and notebooks (``Runtime.create()``) keep the simple synchronous behaviour.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modlab.detectors import detector_names, get_detector
from modlab.moderation.log import PendingWrite, RequestLogStore
from modlab.projects import ProjectStore, ProjectView
from modlab.projects.keys import hash_key
from modlab.serving.ratelimit import RateLimiter, SharedRateLimiter
from modlab.settings import Settings, get_settings
from modlab.storage.db import Database, get_database
from modlab.webhooks import WebhookWorker, start_worker

log = logging.getLogger("modlab.serving")
# Built-in analyzers behind the drop-in routes: loaded at start-up when built.
COMPAT_ANALYZERS = ("openai", "sightengine")


class CachedProjectStore(ProjectStore):
    """``ProjectStore`` whose ``authenticate`` answers from memory for ``ttl_s`` seconds.

    Changes made through this store (create, update, rotate, delete) clear the cache at once,
    and through ``stamp`` (a file whose modification time they bump; one ``stat`` per request)
    the caches of the other workers too. Changes made without it (the CLI, a notebook) are
    seen within ``ttl_s``.
    """

    MAX_ENTRIES = 10_000

    def __init__(
        self, db: Database, ttl_s: float = 2.0, stamp: Path | None = None, **kwargs: Any
    ) -> None:
        super().__init__(db, **kwargs)
        self.ttl_s = ttl_s
        self.stamp = stamp
        self._auth: dict[str, tuple[ProjectView, float]] = {}
        self._generation = 0
        self._stamp_seen = self._read_stamp()

    def _read_stamp(self) -> int:
        if self.stamp is None:
            return 0
        try:
            return os.stat(self.stamp).st_mtime_ns
        except OSError:
            return 0

    def invalidate(self) -> None:
        self._generation += 1
        self._auth = {}
        if self.stamp is not None:
            try:
                self.stamp.parent.mkdir(parents=True, exist_ok=True)
                self.stamp.touch()
                now = time.time_ns()
                os.utime(self.stamp, ns=(now, max(now, self._read_stamp() + 1)))
            except OSError:
                log.warning("could not touch %s; other workers see this change later", self.stamp)

    def authenticate(self, key: str) -> ProjectView | None:
        if self.ttl_s <= 0 or not key or len(key) > 200:
            return super().authenticate(key)
        if self.stamp is not None:
            stamp = self._read_stamp()
            if stamp != self._stamp_seen:  # a worker changed a project: forget everything
                self._stamp_seen = stamp
                self._generation += 1
                self._auth = {}
        digest = hash_key(key)  # the cache never holds the key itself
        now = time.monotonic()
        hit = self._auth.get(digest)
        if hit is not None and now - hit[1] < self.ttl_s:
            return hit[0]
        generation = self._generation
        view = super().authenticate(key)
        if generation == self._generation:  # no local change raced with this lookup
            if view is None:
                self._auth.pop(digest, None)
            else:
                if len(self._auth) >= self.MAX_ENTRIES:
                    self._auth = {}
                self._auth[digest] = (view, now)
        return view

    def create(self, *args: Any, **kwargs: Any):
        try:
            return super().create(*args, **kwargs)
        finally:
            self.invalidate()

    def update(self, *args: Any, **kwargs: Any):
        try:
            return super().update(*args, **kwargs)
        finally:
            self.invalidate()

    def rotate_key(self, *args: Any, **kwargs: Any):
        try:
            return super().rotate_key(*args, **kwargs)
        finally:
            self.invalidate()

    def delete(self, *args: Any, **kwargs: Any):
        try:
            return super().delete(*args, **kwargs)
        finally:
            self.invalidate()


@dataclass
class Runtime:
    settings: Settings
    db: Database
    projects: ProjectStore
    requests: RequestLogStore
    limiter: RateLimiter | SharedRateLimiter = field(default_factory=RateLimiter)
    ready: threading.Event = field(default_factory=threading.Event)
    webhook_worker: WebhookWorker | None = None  # started by warm_up (modlab.webhooks)

    @classmethod
    def create(
        cls,
        settings: Settings | None = None,
        *,
        service: bool = False,
    ) -> Runtime:
        """The runtime of one process; ``service=True`` turns on the lean per-request path
        (auth cache, batched request log, rate limits shared by the workers)."""
        settings = settings or get_settings()
        settings.ensure_dirs()
        db = get_database(settings.database)
        from modlab.analyzers.custom import champion_cache

        known = champion_cache().known_models
        if not service:
            projects = ProjectStore(db, known_models=known)
            return cls(settings=settings, db=db, projects=projects, requests=RequestLogStore(db))
        projects = CachedProjectStore(
            db,
            ttl_s=settings.auth_cache_s,
            stamp=settings.data_dir / "projects.stamp",
            known_models=known,
        )
        limiter: RateLimiter | SharedRateLimiter = (
            SharedRateLimiter(settings.data_dir / "ratelimit.db")
            if settings.service_worker_count() > 1
            else RateLimiter()
        )
        runtime = cls(
            settings=settings,
            db=db,
            projects=projects,
            requests=RequestLogStore(db),
            limiter=limiter,
        )
        if settings.request_log_flush_ms > 0:
            runtime.requests.start_writer(
                flush_s=settings.request_log_flush_ms / 1000, on_stored=runtime._after_store
            )
        return runtime

    def _after_store(self, writes: list[PendingWrite]) -> None:
        """After a batch of request rows is committed: QUEUE_ITEM_NEW for subscribed projects."""
        from modlab import queue as review_queue
        from modlab.webhooks import QUEUE_ITEM_NEW, has_subscribers

        by_project: dict[str, list[PendingWrite]] = {}
        for w in writes:
            if w.row is not None and isinstance(w.context, ProjectView):
                by_project.setdefault(w.project_id, []).append(w)
        for project_id, rows in by_project.items():
            with self.db.session() as s:  # one look per project and batch, not per request
                if not has_subscribers(s, project_id, QUEUE_ITEM_NEW):
                    continue
            for w in rows:
                review_queue.on_new_request(self.db, w.context, w.row["id"])

    def close(self) -> None:
        """Write buffered request rows and stop the background threads (shutdown)."""
        self.requests.close()
        if self.webhook_worker is not None:
            self.webhook_worker.stop(2.0)

    def warm_up(self, freeze_heap: bool = False) -> None:
        """Load every detector (and its resources) before declaring the service ready.

        ``freeze_heap`` (the service): then exempt the loaded objects from garbage collection
        (:func:`freeze_loaded_heap`)."""
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
        if freeze_heap:
            freeze_loaded_heap()
        self.ready.set()

    def _warm_analyzers(self) -> None:
        """Load the analyzers some project enables, and the built models behind the drop-in
        routes (``/v1/moderations``: openai, ``/1.0/text/check.json``: sightengine), so the
        first request to a worker does not pay ~1 s for loading them."""
        from modlab.analyzers.builtin import is_built
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
        wanted |= {name for name in COMPAT_ANALYZERS if is_built(name, self.settings.models_dir)}
        for name in sorted(wanted):
            try:
                get_analyzer(name).predict(["warm up"])
            except AnalyzerUnavailable as exc:
                log.warning("analyzer %s is not available: %s", name, exc)
            except Exception:
                log.exception("analyzer %s failed to warm up", name)


def freeze_loaded_heap() -> None:
    """Move everything loaded so far (models, vocabularies, lists) out of the GC's reach.

    The loaded models hold millions of long-lived Python objects (TF-IDF vocabularies, word
    lists); every full collection walked all of them, pausing a worker for 100-300 ms (the
    p99 of stored moderation requests, which allocate more). ``gc.freeze`` keeps them out of
    future collections; nothing is freed that would otherwise be.
    """
    import gc

    gc.collect()
    gc.freeze()
