"""Signed webhooks for the review queue, delivered from a persistent outbox.

- ``verify(body, signature, secret)`` — for receivers: checks ``modapi-signature`` and freshness.
- ``enqueue(session, ...)`` — write events inside the transaction that caused them.
- ``deliver_due(db, settings)`` — one pass over the due deliveries; ``run_until_idle`` drains.
- ``WebhookWorker`` / ``start_worker`` — the background thread the service runs.
- ``WebhookStore`` — endpoints per project and their delivery log.
"""

from modlab.webhooks.outbox import (
    AttemptResult,
    backoff_s,
    claim,
    deliver_due,
    next_due_in,
    outstanding,
    run_until_idle,
)
from modlab.webhooks.signing import SIGNATURE_HEADER, render_body, sign, verify
from modlab.webhooks.store import (
    EVENT_TYPES,
    QUEUE_ITEM_ACTION,
    QUEUE_ITEM_COMPLETED,
    QUEUE_ITEM_NEW,
    WebhookError,
    WebhookNotFound,
    WebhookStore,
    enqueue,
    has_subscribers,
)
from modlab.webhooks.worker import WebhookWorker, start_worker, wake_workers

__all__ = [
    "EVENT_TYPES",
    "QUEUE_ITEM_ACTION",
    "QUEUE_ITEM_COMPLETED",
    "QUEUE_ITEM_NEW",
    "SIGNATURE_HEADER",
    "AttemptResult",
    "WebhookError",
    "WebhookNotFound",
    "WebhookStore",
    "WebhookWorker",
    "backoff_s",
    "claim",
    "deliver_due",
    "enqueue",
    "has_subscribers",
    "next_due_in",
    "outstanding",
    "render_body",
    "run_until_idle",
    "sign",
    "start_worker",
    "verify",
    "wake_workers",
]
