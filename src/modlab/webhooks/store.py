"""Webhook endpoints per project, the outbox writer (``enqueue``) and the delivery log."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from modlab.storage.db import Database
from modlab.storage.models import Project, now_ms
from modlab.storage.queue import PENDING, Webhook, WebhookAttempt, WebhookDelivery

QUEUE_ITEM_NEW = "QUEUE_ITEM_NEW"
QUEUE_ITEM_ACTION = "QUEUE_ITEM_ACTION"
QUEUE_ITEM_COMPLETED = "QUEUE_ITEM_COMPLETED"
EVENT_TYPES = (QUEUE_ITEM_NEW, QUEUE_ITEM_ACTION, QUEUE_ITEM_COMPLETED)
MAX_WEBHOOKS_PER_PROJECT = 50
MAX_URL_CHARS = 2000


class WebhookError(ValueError):
    """Invalid webhook input (rendered as HTTP 400)."""


class WebhookNotFound(LookupError):
    """No such webhook in this project (rendered as HTTP 404)."""


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def validate_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise WebhookError("url: must not be empty")
    if len(url) > MAX_URL_CHARS:
        raise WebhookError(f"url: at most {MAX_URL_CHARS} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise WebhookError(f"url: not a valid URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise WebhookError("url: must be an absolute http:// or https:// URL")
    return url


def validate_events(events: list[str] | None) -> list[str]:
    if events is None:
        return list(EVENT_TYPES)
    if not events:
        raise WebhookError(f"events: must name at least one of {', '.join(EVENT_TYPES)}")
    out: list[str] = []
    for event in events:
        if event not in EVENT_TYPES:
            raise WebhookError(f"events: unknown event {event!r}; use {', '.join(EVENT_TYPES)}")
        if event not in out:
            out.append(event)
    return out


def webhook_json(hook: Webhook) -> dict[str, Any]:
    return {
        "id": hook.id,
        "url": hook.url,
        "events": list(hook.events or []),
        "createdAt": hook.created_at,
    }


def attempt_json(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "timestamp": attempt.started_at,
        "durationMs": attempt.duration_ms,
        "ok": attempt.ok,
        "statusCode": attempt.status_code,
        "error": attempt.error,
    }


def delivery_json(row: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": row.id,
        "webhookId": row.webhook_id,
        "eventId": row.event_id,
        "type": row.event_type,
        "itemId": row.item_id,
        "status": row.status,
        "attempts": row.attempts,
        "nextAttemptAt": row.next_attempt_at if row.status == PENDING else None,
        "lastStatusCode": row.last_status_code,
        "lastError": row.last_error,
        "createdAt": row.created_at,
        "deliveredAt": row.delivered_at,
        "attemptLog": [attempt_json(a) for a in attempts],
    }


def enqueue(session: Session, project_id: str, event_type: str, item: dict[str, Any]) -> str | None:
    """Write one outbox row per webhook of the project subscribed to ``event_type``.

    Runs inside the caller's transaction, so the event exists if and only if the change that
    caused it was committed. Returns the event id, or None when nobody is subscribed.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    hooks = [
        h
        for h in session.scalars(select(Webhook).where(Webhook.project_id == project_id))
        if event_type in (h.events or [])
    ]
    if not hooks:
        return None
    event_id, now = new_event_id(), now_ms()
    for hook in hooks:
        session.add(
            WebhookDelivery(
                webhook_id=hook.id,
                project_id=project_id,
                event_id=event_id,
                event_type=event_type,
                item_id=item.get("id"),
                payload={"id": event_id, "type": event_type, "item": item},
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return event_id


def has_subscribers(session: Session, project_id: str, event_type: str) -> bool:
    events = session.scalars(select(Webhook.events).where(Webhook.project_id == project_id))
    return any(event_type in (e or []) for e in events)


class WebhookStore:
    """CRUD of a project's webhooks and reading their delivery log."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, project_id: str, url: str, events: list[str] | None = None) -> dict:
        url, events = validate_url(url), validate_events(events)
        with self.db.session() as s:
            count = s.scalar(
                select(func.count()).select_from(Webhook).where(Webhook.project_id == project_id)
            )
            if count >= MAX_WEBHOOKS_PER_PROJECT:
                raise WebhookError(f"a project has at most {MAX_WEBHOOKS_PER_PROJECT} webhooks")
            hook = Webhook(project_id=project_id, url=url, events=events, created_at=now_ms())
            s.add(hook)
            s.flush()
            return webhook_json(hook)

    def list(self, project_id: str) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(
                select(Webhook)
                .where(Webhook.project_id == project_id)
                .order_by(Webhook.created_at, Webhook.id)
            )
            return [webhook_json(h) for h in rows]

    def _find(self, s: Session, project_id: str, webhook_id: str) -> Webhook:
        hook = s.get(Webhook, webhook_id)
        if hook is None or hook.project_id != project_id:
            raise WebhookNotFound(f"no webhook {webhook_id!r} in this project")
        return hook

    def get(self, project_id: str, webhook_id: str) -> dict:
        with self.db.session() as s:
            return webhook_json(self._find(s, project_id, webhook_id))

    def delete(self, project_id: str, webhook_id: str) -> None:
        """Remove the webhook; its pending deliveries and log go with it."""
        with self.db.session() as s:
            hook = self._find(s, project_id, webhook_id)
            ids = select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == hook.id)
            s.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
            s.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
            s.delete(hook)

    def deliveries(
        self,
        project_id: str,
        webhook_id: str,
        *,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict], int]:
        """The delivery log, newest first, each with its attempts."""
        with self.db.session() as s:
            self._find(s, project_id, webhook_id)
            q = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
            if status:
                q = q.where(WebhookDelivery.status == status)
            total = s.scalar(select(func.count()).select_from(q.subquery()))
            rows = list(
                s.scalars(
                    q.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
                    .limit(limit)
                    .offset(offset)
                )
            )
            attempts: dict[str, list[WebhookAttempt]] = {r.id: [] for r in rows}
            if rows:
                for a in s.scalars(
                    select(WebhookAttempt)
                    .where(WebhookAttempt.delivery_id.in_(list(attempts)))
                    .order_by(WebhookAttempt.attempt, WebhookAttempt.id)
                ):
                    attempts[a.delivery_id].append(a)
            return [delivery_json(r, attempts[r.id]) for r in rows], total

    def secret(self, project_id: str) -> str:
        """The project's signing secret (``Project.webhook_secret``)."""
        with self.db.session() as s:
            project = s.get(Project, project_id)
            if project is None:
                raise WebhookNotFound(f"no project {project_id!r}")
            return project.webhook_secret

    def rotate_secret(self, project_id: str) -> str:
        """Issue a new signing secret; every later attempt (retries too) is signed with it."""
        with self.db.session() as s:
            project = s.get(Project, project_id)
            if project is None:
                raise WebhookNotFound(f"no project {project_id!r}")
            project.webhook_secret = new_secret()
            return project.webhook_secret


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


__all__ = [
    "EVENT_TYPES",
    "QUEUE_ITEM_ACTION",
    "QUEUE_ITEM_COMPLETED",
    "QUEUE_ITEM_NEW",
    "WebhookError",
    "WebhookNotFound",
    "WebhookStore",
    "delivery_json",
    "enqueue",
    "has_subscribers",
    "validate_events",
    "validate_url",
    "webhook_json",
]
