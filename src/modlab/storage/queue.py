"""Review-queue tables: item state, saved queues, actions, the action log and the webhook outbox.

A queue item *is* a stored moderation request (``requests``); this module only adds what review
needs on top of it, so the request log stays append-only:

- ``queue_items``: per-item review state (open / completed), created lazily on the first action.
- ``queues``: saved filters (flagged only, label, time window, action taken, status).
- ``queue_actions`` / ``queue_action_log``: user-defined actions and who took which, when.
- ``webhooks``, ``webhook_deliveries`` (the outbox, one row per event and endpoint) and
  ``webhook_attempts`` (one row per HTTP try): deliveries survive a restart and are claimed
  row by row with a conditional UPDATE, which works the same on SQLite and PostgreSQL.

Every timestamp here is epoch milliseconds, like ``requests.timestamp``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from modlab.storage.db import Base
from modlab.storage.models import new_id, now_ms

# Delivery states of the outbox.
PENDING = "pending"
DELIVERING = "delivering"
DELIVERED = "delivered"
FAILED = "failed"


class QueueItemState(Base):
    """Review state of one stored request (no row = open, never acted on)."""

    __tablename__ = "queue_items"
    __table_args__ = (Index("ix_queue_items_project_status", "project_id", "status"),)

    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    completed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_action_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)


class SavedQueue(Base):
    """A named filter over a project's items (``filter`` holds flagged/label/window/action)."""

    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("q_"))
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    filter: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)


class Action(Base):
    """A user-defined action (``Remove content``, ``Ban user``...) with an optional value."""

    __tablename__ = "queue_actions"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("act_"))
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(500), nullable=True)
    queue_behaviour: Mapped[str] = mapped_column(String(16), default="NO_CHANGE")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)


class ActionLog(Base):
    """One action taken on one item: which, with what value, by whom, when.

    ``action_name`` and ``author_id`` are copied so the log outlives a deleted action and the
    users view can count actions without a join on the request log.
    """

    __tablename__ = "queue_action_log"
    __table_args__ = (
        Index("ix_queue_action_log_item", "project_id", "item_id"),
        Index("ix_queue_action_log_author", "project_id", "author_id"),
        Index("ix_queue_action_log_action", "project_id", "action_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    action_id: Mapped[str] = mapped_column(String(40))
    action_name: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(500), nullable=True)
    author_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)


class Webhook(Base):
    """An endpoint of a project and the queue events it receives."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("wh_"))
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)


class WebhookDelivery(Base):
    """The outbox: one event for one webhook, until delivered or out of attempts.

    ``payload`` is the event without its ``timestamp``; the body is rendered (and signed) at
    each attempt so the timestamp says when it was sent. ``claimed_by``/``claim_until`` are the
    lease of the worker sending it; an expired lease (a crashed worker) makes it claimable again.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("whd_"))
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)
    claimed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    claim_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WebhookAttempt(Base):
    """One HTTP try of a delivery (the delivery log)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
