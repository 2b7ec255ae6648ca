"""The review queue: stored requests as items, saved queues, actions and the users view.

Routes (``modlab.serving.routes_queue``) stay thin; everything here works on a ``Database``.
``on_new_request`` is the moderation route's hook: it fires QUEUE_ITEM_NEW for a stored request.
"""

from __future__ import annotations

import logging

from modlab.projects import ProjectView
from modlab.queue.actions import QUEUE_BEHAVIOURS, ActionStore, action_json
from modlab.queue.items import (
    COMPLETED,
    OPEN,
    STATUSES,
    ItemFilter,
    NotFound,
    QueueError,
    QueueStore,
    event_item,
    item_json,
    labels_of,
    parse_time,
)
from modlab.queue.users import SORTS, UserStore
from modlab.storage.db import Database
from modlab.storage.models import RequestLog
from modlab.webhooks import QUEUE_ITEM_NEW, enqueue, has_subscribers, wake_workers

log = logging.getLogger("modlab.queue")


def on_new_request(db: Database, project: ProjectView, request_id: str) -> str | None:
    """A request was stored: enqueue QUEUE_ITEM_NEW for the project's subscribed webhooks.

    Never raises (the moderation answer matters more than the notification); returns the event
    id, or None when no webhook wants the event.
    """
    try:
        with db.session() as s:
            if not has_subscribers(s, project.id, QUEUE_ITEM_NEW):
                return None
            row = s.get(RequestLog, request_id)
            if row is None or row.project_id != project.id:
                return None
            item = event_item(s, project.id, project.filter, row, None)
            event_id = enqueue(s, project.id, QUEUE_ITEM_NEW, item)
    except Exception:
        log.exception("could not enqueue %s for request %s", QUEUE_ITEM_NEW, request_id)
        return None
    wake_workers(db.url)
    return event_id


__all__ = [
    "COMPLETED",
    "OPEN",
    "QUEUE_BEHAVIOURS",
    "SORTS",
    "STATUSES",
    "ActionStore",
    "ItemFilter",
    "NotFound",
    "QueueError",
    "QueueStore",
    "UserStore",
    "action_json",
    "item_json",
    "labels_of",
    "on_new_request",
    "parse_time",
]
