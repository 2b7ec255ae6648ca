"""The request log (every stored moderation request) and monthly usage counters.

By default every ``record``/``count_usage`` is its own transaction. The service attaches a
:class:`RequestLogWriter` instead (``RequestLogStore.start_writer``): the request thread only
appends the row to an in-memory buffer and a background thread writes everything buffered in
one transaction every ``flush_s`` seconds (or at ``max_rows``) — log rows and the usage they add
always in the same transaction, so the log and the usage counters never disagree.

Durability: a row is in the database at most ``flush_s`` after its response was sent. A
graceful stop (SIGINT/SIGTERM, ``close``, interpreter exit) writes everything buffered first;
a hard crash of the process (SIGKILL, OOM, power loss) loses the rows (and their usage) of the
last ``flush_s`` at most. ``doNotStore`` requests and the batch routes only add usage, which
is buffered the same way. Reads through this store (``get``/``list``/``usage``) flush first, so
a process always reads its own writes.
"""

from __future__ import annotations

import atexit
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from modlab.storage.db import Database
from modlab.storage.models import RequestLog, UsageCounter, now_ms

log = logging.getLogger("modlab.requests")


def new_request_id() -> str:
    return "req_" + secrets.token_hex(10)


def current_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def billing_units(text: str) -> int:
    """1 unit per started 1,000 characters (at least 1 per request)."""
    return max(1, math.ceil(len(text) / 1000))


@dataclass
class PendingWrite:
    """One buffered write: a request-log row (``row``, RequestLog attributes) and/or usage."""

    project_id: str
    month: str
    requests: int
    units: int
    row: dict[str, Any] | None = None
    context: Any = None  # passed back to ``on_stored`` (the service: the ProjectView)


class RequestLogWriter:
    """Writes buffered request-log rows and usage in one transaction per ``flush_s``.

    ``submit`` never touches the database (it blocks only when ``max_pending`` writes wait,
    i.e. the database has been unavailable for a while). ``flush`` waits until everything
    submitted before it is committed. ``on_stored(writes)`` runs on the writer thread after
    each commit (the service enqueues QUEUE_ITEM_NEW webhooks there); its errors are logged.
    """

    def __init__(
        self,
        db: Database,
        *,
        flush_s: float = 0.05,
        max_rows: int = 500,
        max_pending: int = 20_000,
        on_stored: Callable[[list[PendingWrite]], None] | None = None,
    ) -> None:
        self.db = db
        self.flush_s = max(0.001, flush_s)
        self.max_rows = max(1, max_rows)
        self.max_pending = max(self.max_rows, max_pending)
        self.on_stored = on_stored
        self._pending: list[PendingWrite] = []
        self._cond = threading.Condition()
        self._submitted = 0  # sequence numbers: everything <= _done is committed (or dropped)
        self._done = 0
        self._closed = False
        self._flush_now = False
        self._first_at = 0.0
        self._thread = threading.Thread(target=self._run, name="request-log-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    @property
    def pending(self) -> int:
        return self._submitted - self._done

    def submit(self, write: PendingWrite) -> None:
        with self._cond:
            if self._closed:  # after shutdown: write through
                self._write([write])
                return
            while len(self._pending) >= self.max_pending and self._thread.is_alive():
                self._cond.wait(0.1)
            self._pending.append(write)
            self._submitted += 1
            if len(self._pending) == 1:
                self._first_at = time.monotonic()
                self._cond.notify_all()
            elif len(self._pending) >= self.max_rows:
                self._cond.notify_all()

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every write submitted so far is committed; False on timeout."""
        if threading.current_thread() is self._thread:  # from ``on_stored``: already written
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._submitted
            if self._done >= target:
                return True
            self._flush_now = True  # write now instead of at the end of the interval
            self._cond.notify_all()
            while self._done < target:
                if not self._thread.is_alive():
                    batch, self._pending = self._pending, []
                    self._write(batch)
                    self._done += len(batch)
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 1.0)
            return True

    def close(self, timeout: float = 30.0) -> None:
        """Write everything buffered and stop the thread (idempotent)."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)
        with self._cond:  # the thread is gone (or stuck): write what is left here
            if self._pending:
                batch, self._pending = self._pending, []
                self._write(batch)
                self._done += len(batch)
                self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not (self._closed or self._flush_now or len(self._pending) >= self.max_rows):
                    if not self._pending:
                        self._cond.wait()  # ``submit`` wakes us for the first row
                        continue
                    left = self._first_at + self.flush_s - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                batch, self._pending = self._pending, []
                self._flush_now = False
                if self._closed and not batch:
                    return
            if batch:
                self._write(batch)
                with self._cond:
                    self._done += len(batch)
                    self._cond.notify_all()

    def _write(self, batch: list[PendingWrite]) -> None:
        """Commit ``batch`` (retrying while the database is unavailable), then ``on_stored``."""
        for attempt in range(50):
            try:
                _write_batch(self.db, batch)
                break
            except OperationalError:  # locked / unavailable: keep the rows and retry
                log.warning("request log: database unavailable, retrying", exc_info=attempt == 0)
                time.sleep(min(2.0, 0.05 * 2**attempt))
            except Exception:
                # One bad row (e.g. its project was deleted meanwhile) must not lose the others.
                log.exception("request log: batch of %d failed; writing one by one", len(batch))
                stored = []
                for w in batch:
                    try:
                        _write_batch(self.db, [w])
                        stored.append(w)
                    except Exception:
                        log.exception("request log: dropped %s", w.row and w.row.get("id"))
                batch = stored
                break
        else:
            log.error("request log: dropped %d writes, the database stayed unavailable", len(batch))
            return
        if self.on_stored is not None and batch:
            try:
                self.on_stored(batch)
            except Exception:
                log.exception("request log: on_stored hook failed")


def _write_batch(db: Database, batch: list[PendingWrite]) -> None:
    rows = [w.row for w in batch if w.row is not None]
    usage: dict[tuple[str, str], list[int]] = {}
    for w in batch:
        if w.requests or w.units:
            acc = usage.setdefault((w.project_id, w.month), [0, 0])
            acc[0] += w.requests
            acc[1] += w.units
    with db.session() as s:
        if rows:
            s.execute(insert(RequestLog), rows)
        for (project_id, month), (requests, units) in usage.items():
            _add_usage(s, project_id, requests, units, month)


class RequestLogStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.writer: RequestLogWriter | None = None

    def start_writer(self, **kwargs: Any) -> RequestLogWriter:
        """Buffer writes from now on (see :class:`RequestLogWriter`)."""
        if self.writer is None:
            self.writer = RequestLogWriter(self.db, **kwargs)
        return self.writer

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Commit buffered writes now (no-op without a writer)."""
        return self.writer.flush(timeout) if self.writer is not None else True

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    def record(
        self,
        *,
        request_id: str,
        timestamp: int,
        project_id: str,
        value: str,
        content: str,
        flagged: bool,
        data_found: bool,
        result: dict[str, Any],
        label: str | None = None,
        score: float | None = None,
        language: str | None = None,
        author_id: str | None = None,
        context_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        source: str = "moderation",
        usage_text: str | None = None,
        context: Any = None,
    ) -> None:
        """Store one request; with ``usage_text``, count its usage in the same transaction.

        With a writer the row is buffered (``context`` goes to its ``on_stored`` hook).
        """
        if self.writer is not None:
            row = {
                "id": request_id,
                "timestamp": timestamp,
                "project_id": project_id,
                "value": value,
                "content": content,
                "flagged": flagged,
                "data_found": data_found,
                "result": result,
                "label": label,
                "score": score,
                "language": language,
                "author_id": author_id,
                "context_id": context_id,
                "meta": metadata,
                "source": source,
            }
            counted = usage_text is not None
            units = billing_units(usage_text) if usage_text is not None else 0
            self.writer.submit(
                PendingWrite(project_id, current_month(), int(counted), units, row, context)
            )
            return
        with self.db.session() as s:
            s.add(
                RequestLog(
                    id=request_id,
                    timestamp=timestamp,
                    project_id=project_id,
                    value=value,
                    content=content,
                    flagged=flagged,
                    data_found=data_found,
                    result=result,
                    label=label,
                    score=score,
                    language=language,
                    author_id=author_id,
                    context_id=context_id,
                    meta=metadata,
                    source=source,
                )
            )
            if usage_text is not None:
                _count_usage(s, project_id, usage_text)

    def get(self, project_id: str, request_id: str) -> RequestLog | None:
        self.flush()
        with self.db.session() as s:
            row = s.get(RequestLog, request_id)
            return row if row is not None and row.project_id == project_id else None

    def list(
        self,
        project_id: str,
        *,
        flagged: bool | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        author_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RequestLog]:
        q = select(RequestLog).where(RequestLog.project_id == project_id)
        if flagged is not None:
            q = q.where(RequestLog.flagged == flagged)
        if since_ms is not None:
            q = q.where(RequestLog.timestamp >= since_ms)
        if until_ms is not None:
            q = q.where(RequestLog.timestamp < until_ms)
        if author_id is not None:
            q = q.where(RequestLog.author_id == author_id)
        q = q.order_by(RequestLog.timestamp.desc()).limit(limit).offset(offset)
        self.flush()
        with self.db.session() as s:
            return list(s.scalars(q))

    def count_usage(self, project_id: str, text: str) -> None:
        """Add one request and its billing units to this month's counter (atomic upsert)."""
        if self.writer is not None:
            self.writer.submit(PendingWrite(project_id, current_month(), 1, billing_units(text)))
            return
        with self.db.session() as s:
            _count_usage(s, project_id, text)

    def count_usage_many(self, project_id: str, texts: list[str]) -> None:
        """``count_usage`` for each text, as one upsert in one transaction (batch routes)."""
        if texts and self.writer is not None:
            units = sum(billing_units(t) for t in texts)
            self.writer.submit(PendingWrite(project_id, current_month(), len(texts), units))
        elif texts:
            with self.db.session() as s:
                _add_usage(s, project_id, len(texts), sum(billing_units(t) for t in texts))

    def usage(self, project_id: str, month: str | None = None) -> tuple[int, int]:
        self.flush()
        with self.db.session() as s:
            row = s.scalar(
                select(UsageCounter).where(
                    UsageCounter.project_id == project_id,
                    UsageCounter.month == (month or current_month()),
                )
            )
            return (row.requests, row.units) if row else (0, 0)


def _count_usage(s: Session, project_id: str, text: str) -> None:
    """The usage upsert of :meth:`RequestLogStore.count_usage`, inside the caller's session."""
    _add_usage(s, project_id, 1, billing_units(text))


def _add_usage(
    s: Session, project_id: str, requests: int, units: int, month: str | None = None
) -> None:
    month = month or current_month()
    changed = s.execute(
        update(UsageCounter)
        .where(UsageCounter.project_id == project_id, UsageCounter.month == month)
        .values(requests=UsageCounter.requests + requests, units=UsageCounter.units + units)
    ).rowcount
    if not changed:
        try:
            with s.begin_nested():
                s.add(
                    UsageCounter(project_id=project_id, month=month, requests=requests, units=units)
                )
        except IntegrityError:  # another worker created the row first
            s.execute(
                update(UsageCounter)
                .where(UsageCounter.project_id == project_id, UsageCounter.month == month)
                .values(requests=UsageCounter.requests + requests, units=UsageCounter.units + units)
            )


__all__ = [
    "PendingWrite",
    "RequestLogStore",
    "RequestLogWriter",
    "billing_units",
    "new_request_id",
    "now_ms",
]
