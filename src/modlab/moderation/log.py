"""The request log (every stored moderation request) and monthly usage counters."""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from modlab.storage.db import Database
from modlab.storage.models import RequestLog, UsageCounter, now_ms


def new_request_id() -> str:
    return "req_" + secrets.token_hex(10)


def current_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def billing_units(text: str) -> int:
    """1 unit per started 1,000 characters (at least 1 per request)."""
    return max(1, math.ceil(len(text) / 1000))


class RequestLogStore:
    def __init__(self, db: Database) -> None:
        self.db = db

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
    ) -> None:
        """Store one request; with ``usage_text``, count its usage in the same transaction."""
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
        with self.db.session() as s:
            return list(s.scalars(q))

    def count_usage(self, project_id: str, text: str) -> None:
        """Add one request and its billing units to this month's counter (atomic upsert)."""
        with self.db.session() as s:
            _count_usage(s, project_id, text)

    def count_usage_many(self, project_id: str, texts: list[str]) -> None:
        """``count_usage`` for each text, as one upsert in one transaction (batch routes)."""
        if texts:
            with self.db.session() as s:
                _add_usage(s, project_id, len(texts), sum(billing_units(t) for t in texts))

    def usage(self, project_id: str, month: str | None = None) -> tuple[int, int]:
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


def _add_usage(s: Session, project_id: str, requests: int, units: int) -> None:
    month = current_month()
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


__all__ = ["RequestLogStore", "billing_units", "new_request_id", "now_ms"]
