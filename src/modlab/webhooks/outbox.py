"""Sending the outbox: claim due deliveries row by row, POST them signed, record the outcome.

A delivery succeeds on HTTP 200 within ``webhook_timeout_s``; anything else (another status, a
timeout, a refused connection, a redirect) is a failed attempt, retried after
``webhook_backoff_base_s * 2**(attempt-1)`` seconds until ``webhook_max_attempts`` tries were
made. Claiming is a conditional UPDATE (``... WHERE id IN (:due ids) AND <still due>``), so
two workers — threads, processes or hosts sharing the database — never send the same attempt;
on PostgreSQL the select of due ids also uses ``FOR UPDATE SKIP LOCKED``. A claim is a lease: if a
worker dies mid-send, the row becomes due again when the lease ends, and the attempt counts.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import and_, func, or_, select, update

from modlab.settings import Settings, get_settings
from modlab.storage.db import Database, get_database
from modlab.storage.models import Project, now_ms
from modlab.storage.queue import (
    DELIVERED,
    DELIVERING,
    FAILED,
    PENDING,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from modlab.webhooks.signing import SIGNATURE_HEADER, render_body, sign

log = logging.getLogger("modlab.webhooks")
USER_AGENT = "modlab-webhooks/1"


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds the lease on, with what it needs to send it."""

    id: str
    webhook_id: str
    url: str
    secret: str
    event: dict[str, Any]
    attempt: int
    token: str


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: str
    webhook_id: str
    attempt: int
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    status: str  # the delivery's status after this attempt

    @property
    def final(self) -> bool:
        return self.status in (DELIVERED, FAILED)


def backoff_s(attempt: int, base_s: float) -> float:
    """Wait after failed attempt number ``attempt`` (1-based): base, 2*base, 4*base, ..."""
    return base_s * (2 ** max(0, attempt - 1))


def _batch_limit(settings: Settings) -> int:
    return max(1, settings.webhook_concurrency) * 2


def _lease_ms(settings: Settings, limit: int) -> int:
    # Worst case every claimed delivery of the batch hangs for the whole timeout (connect,
    # write and read are timed separately, hence the factor), plus a margin.
    rounds = math.ceil(limit / max(1, settings.webhook_concurrency))
    return int((settings.webhook_timeout_s * 3 * rounds + 30) * 1000)


def _due(now: int):
    return or_(
        and_(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now),
        and_(WebhookDelivery.status == DELIVERING, WebhookDelivery.claim_until < now),
    )


def claim(db: Database, settings: Settings, *, limit: int | None = None) -> list[Claimed]:
    """Take the lease on up to ``limit`` due deliveries (atomic per row, portable)."""
    limit = limit or _batch_limit(settings)
    max_attempts = max(1, settings.webhook_max_attempts)
    token = "clm_" + secrets.token_hex(12)
    now = now_ms()
    with db.session() as s:
        # Out of tries (a worker died during the last one, or the limit was lowered): give up.
        s.execute(
            update(WebhookDelivery)
            .where(_due(now), WebhookDelivery.attempts >= max_attempts)
            .values(
                status=FAILED,
                claimed_by=None,
                claim_until=None,
                last_error=func.coalesce(
                    WebhookDelivery.last_error, "the worker stopped during the last attempt"
                ),
            )
            .execution_options(synchronize_session=False)
        )
        # Two statements, not ``UPDATE ... WHERE id IN (SELECT ... LIMIT n)``: PostgreSQL may
        # re-run such a subquery and claim more than ``limit`` rows. On PostgreSQL the select
        # locks its rows (others skip them); on SQLite writers are serialised. Either way the
        # UPDATE re-checks that each row is still due, so a row is claimed at most once.
        ids = list(
            s.scalars(
                select(WebhookDelivery.id)
                .where(_due(now), WebhookDelivery.attempts < max_attempts)
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        s.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(ids),
                _due(now),
                WebhookDelivery.attempts < max_attempts,
            )
            .values(
                status=DELIVERING,
                claimed_by=token,
                claim_until=now + _lease_ms(settings, limit),
                attempts=WebhookDelivery.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        rows = s.execute(
            select(WebhookDelivery, Webhook.url, Project.webhook_secret)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .join(Project, Project.id == WebhookDelivery.project_id)
            .where(WebhookDelivery.claimed_by == token, WebhookDelivery.status == DELIVERING)
        ).all()
        return [
            Claimed(
                id=d.id,
                webhook_id=d.webhook_id,
                url=url,
                secret=secret,
                event=dict(d.payload),
                attempt=d.attempts,
                token=token,
            )
            for d, url, secret in rows
        ]


def send(
    client: httpx.Client, item: Claimed, timeout_s: float
) -> tuple[bool, int | None, str | None, int]:
    """POST one signed attempt; (ok, status code, error, duration in ms)."""
    body = render_body(item.event)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        SIGNATURE_HEADER: sign(body, item.secret),
        "modlab-delivery-id": item.id,
        "modlab-attempt": str(item.attempt),
    }
    started = time.monotonic()
    status: int | None = None
    try:
        # Only the status line matters; the receiver's body is never read.
        with client.stream("POST", item.url, content=body, headers=headers) as response:
            status = response.status_code
        elapsed = time.monotonic() - started
        if status != 200:
            error = f"HTTP {status} (a delivery needs HTTP 200)"
        elif elapsed > timeout_s:
            error = f"answered after {elapsed:.1f} s; the limit is {timeout_s:g} s"
        else:
            error = None
    except httpx.TimeoutException:
        error = f"no answer within {timeout_s:g} s"
    except Exception as exc:  # refused, reset, TLS, invalid URL...: a failed attempt, not a crash
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = int((time.monotonic() - started) * 1000)
    return error is None, status, error, duration_ms


def record(
    db: Database,
    settings: Settings,
    item: Claimed,
    ok: bool,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
) -> str:
    """Store the attempt and move the delivery on; returns the delivery's new status."""
    now = now_ms()
    if ok:
        values: dict[str, Any] = {"status": DELIVERED, "delivered_at": now, "last_error": None}
    elif item.attempt >= settings.webhook_max_attempts:
        values = {"status": FAILED, "last_error": error}
    else:
        wait_ms = int(backoff_s(item.attempt, settings.webhook_backoff_base_s) * 1000)
        values = {"status": PENDING, "next_attempt_at": now + wait_ms, "last_error": error}
    values.update(claimed_by=None, claim_until=None, last_status_code=status_code)
    with db.session() as s:
        changed = s.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == item.id,
                WebhookDelivery.claimed_by == item.token,
                WebhookDelivery.status == DELIVERING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:  # the lease ran out or the webhook was deleted meanwhile
            log.warning("delivery %s changed while attempt %d was in flight", item.id, item.attempt)
            return "lost"
        s.add(
            WebhookAttempt(
                delivery_id=item.id,
                attempt=item.attempt,
                started_at=now - duration_ms,
                duration_ms=duration_ms,
                ok=ok,
                status_code=status_code,
                error=error,
            )
        )
    return values["status"]


def make_client(settings: Settings) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(settings.webhook_timeout_s),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=max(1, settings.webhook_concurrency) * 2),
    )


def _attempt(
    client: httpx.Client, db: Database, settings: Settings, item: Claimed
) -> AttemptResult:
    ok, code, error, duration = send(client, item, settings.webhook_timeout_s)
    if ok:
        log.info("webhook %s delivered %s (try %d)", item.webhook_id, item.id, item.attempt)
    else:
        log.info(
            "webhook %s try %d of %s failed: %s", item.webhook_id, item.attempt, item.id, error
        )
    status = record(db, settings, item, ok, code, error, duration)
    return AttemptResult(item.id, item.webhook_id, item.attempt, ok, code, error, duration, status)


def deliver_due(
    db: Database | None = None,
    settings: Settings | None = None,
    *,
    limit: int | None = None,
    client: httpx.Client | None = None,
) -> list[AttemptResult]:
    """Claim the deliveries that are due now and make one attempt at each (in parallel)."""
    settings = settings or get_settings()
    db = db or get_database(settings.database)
    claimed = claim(db, settings, limit=limit)
    if not claimed:
        return []
    own_client = client is None
    client = client or make_client(settings)
    try:
        if len(claimed) == 1:
            return [_attempt(client, db, settings, claimed[0])]
        workers = min(len(claimed), max(1, settings.webhook_concurrency))
        with ThreadPoolExecutor(workers, thread_name_prefix="webhook-send") as pool:
            return list(pool.map(lambda c: _attempt(client, db, settings, c), claimed))
    finally:
        if own_client:
            client.close()


def next_due_in(db: Database) -> float | None:
    """Seconds until the earliest delivery is due (0 if overdue), None if nothing is waiting."""
    with db.session() as s:
        pending = s.scalar(
            select(func.min(WebhookDelivery.next_attempt_at)).where(
                WebhookDelivery.status == PENDING
            )
        )
        lease = s.scalar(
            select(func.min(WebhookDelivery.claim_until)).where(
                WebhookDelivery.status == DELIVERING
            )
        )
    times = [t for t in (pending, lease) if t is not None]
    if not times:
        return None
    return max(0.0, (min(times) - now_ms()) / 1000)


def outstanding(db: Database, webhook_ids: Iterable[str] | None = None) -> int:
    """Deliveries not yet delivered or given up on."""
    q = (
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.status.in_((PENDING, DELIVERING)))
    )
    if webhook_ids is not None:
        q = q.where(WebhookDelivery.webhook_id.in_(list(webhook_ids)))
    with db.session() as s:
        return int(s.scalar(q) or 0)


def run_until_idle(
    db: Database | None = None, settings: Settings | None = None, *, timeout_s: float = 60.0
) -> list[AttemptResult]:
    """Deliver (waiting out backoffs) until nothing is pending; for tests, the CLI and drains."""
    settings = settings or get_settings()
    db = db or get_database(settings.database)
    results: list[AttemptResult] = []
    deadline = time.monotonic() + timeout_s
    with make_client(settings) as client:
        while time.monotonic() < deadline:
            results.extend(deliver_due(db, settings, client=client))
            wait = next_due_in(db)
            if wait is None:
                return results
            time.sleep(min(max(wait, 0.01), max(0.0, deadline - time.monotonic())))
    raise TimeoutError(f"webhook deliveries still outstanding after {timeout_s:g} s")


__all__ = [
    "AttemptResult",
    "Claimed",
    "backoff_s",
    "claim",
    "deliver_due",
    "next_due_in",
    "outstanding",
    "record",
    "run_until_idle",
    "send",
]
