"""Queue items (stored moderation requests plus review state), saved queues, completion."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from modlab.analyzers.base import DEFAULT_THRESHOLD, NEUTRAL
from modlab.projects.filters import DETECTOR_NAMES
from modlab.storage.db import Database
from modlab.storage.models import RequestLog, now_ms
from modlab.storage.queue import ActionLog, QueueItemState, SavedQueue
from modlab.webhooks.store import QUEUE_ITEM_COMPLETED, enqueue
from modlab.webhooks.worker import wake_workers

OPEN = "open"
COMPLETED = "completed"
STATUSES = (OPEN, COMPLETED, "all")
MAX_QUEUES_PER_PROJECT = 100
DAY_MS = 86_400_000


class QueueError(ValueError):
    """Invalid input (HTTP 400)."""


class NotFound(LookupError):
    """Unknown item, action, queue or user in this project (HTTP 404)."""


def parse_time(value: str | int | float | None, field: str = "since") -> int | None:
    """Epoch milliseconds from epoch ms, epoch seconds (< 1e11) or an ISO-8601 string."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise QueueError(
                    f"{field}: expected epoch milliseconds or an ISO-8601 time, got {text!r}"
                ) from None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return int(parsed.timestamp() * 1000)
    if number < 0:
        raise QueueError(f"{field}: must not be negative")
    return int(number * 1000) if number < 1e11 else int(number)


@dataclass(frozen=True)
class ItemFilter:
    """Which items to list: the query parameters of ``GET /queue/items`` and saved queues."""

    flagged: bool | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    author_id: str | None = None
    context_id: str | None = None
    label: str | None = None
    action_id: str | None = None
    status: str = OPEN

    def conditions(self, project_id: str) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [RequestLog.project_id == project_id]
        if self.flagged is not None:
            where.append(RequestLog.flagged == self.flagged)
        if self.since_ms is not None:
            where.append(RequestLog.timestamp >= self.since_ms)
        if self.until_ms is not None:
            where.append(RequestLog.timestamp < self.until_ms)
        if self.author_id is not None:
            where.append(RequestLog.author_id == self.author_id)
        if self.context_id is not None:
            where.append(RequestLog.context_id == self.context_id)
        if self.label:
            where.append(RequestLog.label == self.label.rsplit("/", 1)[-1])
        if self.action_id:
            where.append(
                RequestLog.id.in_(
                    select(ActionLog.item_id).where(
                        ActionLog.project_id == project_id, ActionLog.action_id == self.action_id
                    )
                )
            )
        if self.status == OPEN:
            where.append(or_(QueueItemState.status.is_(None), QueueItemState.status == OPEN))
        elif self.status == COMPLETED:
            where.append(QueueItemState.status == COMPLETED)
        return where

    def matches(self, row: RequestLog, state: QueueItemState | None, action_ids: set[str]) -> bool:
        """The same test in Python, for one item (used to name an event's queue)."""
        status = state.status if state is not None else OPEN
        checks = [
            self.flagged is None or row.flagged == self.flagged,
            self.since_ms is None or row.timestamp >= self.since_ms,
            self.until_ms is None or row.timestamp < self.until_ms,
            self.author_id is None or row.author_id == self.author_id,
            self.context_id is None or row.context_id == self.context_id,
            not self.label or row.label == self.label.rsplit("/", 1)[-1],
            not self.action_id or self.action_id in action_ids,
            self.status == "all" or status == self.status,
        ]
        return all(checks)


# -- saved queues -------------------------------------------------------------------------------

QUEUE_FILTER_KEYS = ("flagged", "label", "windowDays", "actionId", "authorId", "status")


def validate_queue_filter(raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = dict(raw or {})
    unknown = set(raw) - set(QUEUE_FILTER_KEYS)
    if unknown:
        raise QueueError(
            f"filter: unknown key(s) {', '.join(sorted(unknown))}; "
            f"use {', '.join(QUEUE_FILTER_KEYS)}"
        )
    out: dict[str, Any] = {}
    if raw.get("flagged") is not None:
        if not isinstance(raw["flagged"], bool):
            raise QueueError("filter.flagged: must be true, false or null")
        out["flagged"] = raw["flagged"]
    for key in ("label", "actionId", "authorId"):
        if raw.get(key) is not None:
            if not isinstance(raw[key], str) or not raw[key].strip() or len(raw[key]) > 200:
                raise QueueError(f"filter.{key}: must be a non-empty string")
            out[key] = raw[key].strip()
    if raw.get("windowDays") is not None:
        days = raw["windowDays"]
        if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days <= 3650:
            raise QueueError("filter.windowDays: must be a number of days in (0, 3650]")
        out["windowDays"] = days
    status = raw.get("status", OPEN)
    if status not in STATUSES:
        raise QueueError(f"filter.status: must be one of {', '.join(STATUSES)}")
    out["status"] = status
    return out


def filter_of_queue(saved: dict[str, Any], now: int | None = None) -> ItemFilter:
    window = saved.get("windowDays")
    return ItemFilter(
        flagged=saved.get("flagged"),
        label=saved.get("label"),
        action_id=saved.get("actionId"),
        author_id=saved.get("authorId"),
        status=saved.get("status", OPEN),
        since_ms=(now or now_ms()) - int(window * DAY_MS) if window else None,
    )


def queue_json(q: SavedQueue) -> dict[str, Any]:
    return {"id": q.id, "name": q.name, "filter": dict(q.filter or {}), "createdAt": q.created_at}


# -- item objects -------------------------------------------------------------------------------


def labels_of(result: dict[str, Any], project_filter: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's labels: ``model/LABEL`` per analyzer label and one per detector."""
    labels: list[dict[str, Any]] = []
    for name, entry in (result or {}).items():
        if not isinstance(entry, dict) or entry.get("available") is False:
            continue
        scores = entry.get("label_scores")
        if isinstance(scores, dict):
            thresholds = (project_filter.get(name) or {}).get("thresholds") or {}
            model_flagged = bool(entry.get("flagged"))
            for label, score in scores.items():
                if label == NEUTRAL or not isinstance(score, int | float):
                    continue
                flagged = model_flagged and score >= thresholds.get(label, DEFAULT_THRESHOLD)
                labels.append(
                    {
                        "label": f"{name}/{label}",
                        "score": score,
                        "flagged": flagged,
                        "manual": False,
                    }
                )
        elif name in DETECTOR_NAMES and "found" in entry:
            found = bool(entry["found"])
            labels.append(
                {"label": name, "score": 1.0 if found else 0.0, "flagged": found, "manual": False}
            )
    return labels


def item_json(
    row: RequestLog, state: QueueItemState | None, project_filter: dict[str, Any]
) -> dict[str, Any]:
    """The queue item object (the webhook ``item`` uses the same fields)."""
    return {
        "id": row.id,
        "flagged": bool(row.flagged),
        "labels": labels_of(row.result, project_filter),
        "language": row.language,
        "content": row.value,
        "timestamp": row.timestamp,
        "metadata": row.meta,
        "contextId": row.context_id,
        "authorId": row.author_id,
        "status": state.status if state is not None else OPEN,
        "completedAt": state.completed_at if state is not None else None,
    }


def action_log_json(entry: ActionLog) -> dict[str, Any]:
    return {
        "id": entry.id,
        "itemId": entry.item_id,
        "actionId": entry.action_id,
        "name": entry.action_name,
        "value": entry.value,
        "actor": entry.actor,
        "timestamp": entry.created_at,
    }


def load_item(
    s: Session, project_id: str, item_id: str
) -> tuple[RequestLog, QueueItemState | None]:
    row = s.get(RequestLog, item_id)
    if row is None or row.project_id != project_id:
        raise NotFound(f"no queue item {item_id!r} in this project")
    return row, s.get(QueueItemState, item_id)


def taken_actions(s: Session, project_id: str, item_id: str) -> list[ActionLog]:
    return list(
        s.scalars(
            select(ActionLog)
            .where(ActionLog.project_id == project_id, ActionLog.item_id == item_id)
            .order_by(ActionLog.created_at, ActionLog.id)
        )
    )


def queue_ref(
    s: Session,
    project_id: str,
    row: RequestLog,
    state: QueueItemState | None,
    queue_id: str | None = None,
) -> dict[str, str] | None:
    """``{id, name}`` of the queue an event concerns: the one named, else the first matching."""
    if queue_id:
        q = s.get(SavedQueue, queue_id)
        if q is None or q.project_id != project_id:
            raise NotFound(f"no queue {queue_id!r} in this project")
        return {"id": q.id, "name": q.name}
    queues = list(
        s.scalars(
            select(SavedQueue)
            .where(SavedQueue.project_id == project_id)
            .order_by(SavedQueue.created_at, SavedQueue.id)
        )
    )
    if not queues:
        return None
    action_ids = {a.action_id for a in taken_actions(s, project_id, row.id)}
    now = now_ms()
    for q in queues:
        if filter_of_queue(q.filter or {}, now).matches(row, state, action_ids):
            return {"id": q.id, "name": q.name}
    return None


def event_item(
    s: Session,
    project_id: str,
    project_filter: dict[str, Any],
    row: RequestLog,
    state: QueueItemState | None,
    *,
    queue_id: str | None = None,
    action: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The webhook ``item``: the item object plus its ``queue`` and (for actions) ``action``."""
    item = item_json(row, state, project_filter)
    item["queue"] = queue_ref(s, project_id, row, state, queue_id)
    item["action"] = action
    return item


class QueueStore:
    """Listing, reading and completing items; saved queues."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def list_items(
        self,
        project_id: str,
        project_filter: dict[str, Any],
        flt: ItemFilter,
        *,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of items, newest first, and the total matching."""
        with self.db.session() as s:
            where = flt.conditions(project_id)
            joined = select(RequestLog, QueueItemState).outerjoin(
                QueueItemState, QueueItemState.request_id == RequestLog.id
            )
            total = s.scalar(
                select(func.count())
                .select_from(RequestLog)
                .outerjoin(QueueItemState, QueueItemState.request_id == RequestLog.id)
                .where(and_(*where))
            )
            rows = s.execute(
                joined.where(and_(*where))
                .order_by(RequestLog.timestamp.desc(), RequestLog.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            return [item_json(r, st, project_filter) for r, st in rows], int(total or 0)

    def resolve_filter(
        self, project_id: str, queue_id: str | None, overrides: dict[str, Any]
    ) -> ItemFilter:
        """The filter of a saved queue (if any) with the given, non-None fields on top."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if not queue_id:
            return ItemFilter(**given)
        with self.db.session() as s:
            base = filter_of_queue(self._find_queue(s, project_id, queue_id).filter or {})
        # A time range given with a saved queue narrows its window, never widens it.
        if base.since_ms is not None and "since_ms" in given:
            given["since_ms"] = max(base.since_ms, given["since_ms"])
        return replace(base, **given)

    def get_item(self, project_id: str, project_filter: dict[str, Any], item_id: str) -> dict:
        with self.db.session() as s:
            row, state = load_item(s, project_id, item_id)
            item = item_json(row, state, project_filter)
            item["actions"] = [action_log_json(a) for a in taken_actions(s, project_id, item_id)]
            return item

    def complete(
        self,
        project_id: str,
        project_filter: dict[str, Any],
        item_id: str,
        actor: str,
        queue_id: str | None = None,
    ) -> tuple[dict, str | None]:
        """Close the item (idempotent); fires QUEUE_ITEM_COMPLETED the first time."""
        with self.db.session() as s:
            row, state = load_item(s, project_id, item_id)
            event_id = None
            if state is None or state.status != COMPLETED:
                queue = queue_ref(s, project_id, row, state, queue_id)  # before it leaves
                state = set_status(s, row, state, COMPLETED, actor)
                s.flush()
                event = {**item_json(row, state, project_filter), "queue": queue, "action": None}
                event_id = enqueue(s, project_id, QUEUE_ITEM_COMPLETED, event)
            item = item_json(row, state, project_filter)
            item["actions"] = [action_log_json(a) for a in taken_actions(s, project_id, item_id)]
        if event_id:
            wake_workers(self.db.url)
        return item, event_id

    # saved queues

    def _find_queue(self, s: Session, project_id: str, queue_id: str) -> SavedQueue:
        q = s.get(SavedQueue, queue_id)
        if q is None or q.project_id != project_id:
            raise NotFound(f"no queue {queue_id!r} in this project")
        return q

    def list_queues(self, project_id: str) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(
                select(SavedQueue)
                .where(SavedQueue.project_id == project_id)
                .order_by(SavedQueue.created_at, SavedQueue.id)
            )
            return [queue_json(q) for q in rows]

    def create_queue(self, project_id: str, name: str, flt: dict[str, Any] | None) -> dict:
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise QueueError("name: must be 1 to 100 characters")
        saved = validate_queue_filter(flt)
        with self.db.session() as s:
            existing = list(
                s.scalars(select(SavedQueue.name).where(SavedQueue.project_id == project_id))
            )
            if name in existing:
                raise QueueError(f"name: a queue named {name!r} already exists")
            if len(existing) >= MAX_QUEUES_PER_PROJECT:
                raise QueueError(f"a project has at most {MAX_QUEUES_PER_PROJECT} queues")
            q = SavedQueue(project_id=project_id, name=name, filter=saved, created_at=now_ms())
            s.add(q)
            s.flush()
            return queue_json(q)

    def get_queue(self, project_id: str, queue_id: str) -> dict:
        with self.db.session() as s:
            return queue_json(self._find_queue(s, project_id, queue_id))

    def delete_queue(self, project_id: str, queue_id: str) -> None:
        with self.db.session() as s:
            s.delete(self._find_queue(s, project_id, queue_id))


def set_status(
    s: Session, row: RequestLog, state: QueueItemState | None, status: str, actor: str | None
) -> QueueItemState:
    now = now_ms()
    if state is None:
        state = QueueItemState(request_id=row.id, project_id=row.project_id, status=OPEN)
        s.add(state)
    state.status = status
    state.updated_at = now
    if status == COMPLETED:
        state.completed_at, state.completed_by = now, actor
    else:
        state.completed_at = state.completed_by = None
    return state


__all__ = [
    "COMPLETED",
    "OPEN",
    "STATUSES",
    "ItemFilter",
    "NotFound",
    "QueueError",
    "QueueStore",
    "event_item",
    "filter_of_queue",
    "item_json",
    "labels_of",
    "load_item",
    "parse_time",
    "set_status",
    "validate_queue_filter",
]
