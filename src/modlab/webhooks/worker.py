"""The background delivery worker: a thread that drains the outbox while the service runs."""

from __future__ import annotations

import atexit
import logging
import secrets
import threading
import weakref

from modlab.settings import Settings
from modlab.storage.db import Database
from modlab.webhooks.outbox import deliver_due, make_client, next_due_in

log = logging.getLogger("modlab.webhooks")

_workers: dict[str, weakref.WeakSet[WebhookWorker]] = {}
_workers_lock = threading.Lock()


class WebhookWorker:
    """Polls the outbox (woken early by ``notify``), sends due deliveries, sleeps till the next.

    Any number of workers may share a database: claims are row-level, so each attempt is made
    by exactly one of them. ``stop`` lets an in-flight attempt finish (up to ``timeout``); one cut
    short is retried by whichever worker runs after its lease ends.
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.id = "wkr_" + secrets.token_hex(6)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> WebhookWorker:
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"webhooks-{self.id}", daemon=True)
        self._thread.start()
        with _workers_lock:
            _workers.setdefault(self.db.url, weakref.WeakSet()).add(self)
        return self

    def notify(self) -> None:
        """Something was enqueued: look at the outbox now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        with _workers_lock:
            _workers.get(self.db.url, weakref.WeakSet()).discard(self)
        if self._thread is not None:
            self._thread.join(self.settings.webhook_timeout_s + 5 if timeout is None else timeout)

    def _run(self) -> None:
        poll = max(0.01, self.settings.webhook_poll_s)
        with make_client(self.settings) as client:
            while not self._stop.is_set():
                self._wake.clear()
                wait = poll
                try:
                    results = deliver_due(self.db, self.settings, client=client)
                    due = next_due_in(self.db)
                    if results and due == 0:
                        wait = 0.0  # a full batch: more are waiting
                    elif due is not None:
                        wait = min(poll, max(0.01, due))
                except Exception:  # the database may be briefly unavailable; keep going
                    log.exception("webhook worker %s: delivery pass failed", self.id)
                if wait:
                    self._wake.wait(wait)


def wake_workers(db_url: str) -> None:
    """Tell this process's workers on ``db_url`` that new deliveries are waiting."""
    with _workers_lock:
        workers = list(_workers.get(db_url, ()))
    for worker in workers:
        worker.notify()


def start_worker(db: Database, settings: Settings) -> WebhookWorker | None:
    """Start a worker unless ``settings.webhook_worker`` is off; stopped at interpreter exit."""
    if not settings.webhook_worker:
        return None
    worker = WebhookWorker(db, settings).start()
    atexit.register(worker.stop, 2.0)
    return worker


__all__ = ["WebhookWorker", "start_worker", "wake_workers"]
