"""User-defined actions and taking them on queue items (recorded, then sent as webhooks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from modlab.queue.items import (
    COMPLETED,
    OPEN,
    NotFound,
    QueueError,
    action_log_json,
    item_json,
    load_item,
    queue_ref,
    set_status,
    taken_actions,
)
from modlab.storage.db import Database
from modlab.storage.models import now_ms
from modlab.storage.queue import Action, ActionLog
from modlab.webhooks.store import QUEUE_ITEM_ACTION, QUEUE_ITEM_COMPLETED, enqueue
from modlab.webhooks.worker import wake_workers

# What taking the action does to the item: REMOVE closes it (like "complete"), ADD (re)opens it,
# NO_CHANGE leaves it where it is.
QUEUE_BEHAVIOURS = ("REMOVE", "ADD", "NO_CHANGE")
MAX_ACTIONS_PER_PROJECT = 100
MAX_VALUE_CHARS = 500


def action_json(a: Action) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "value": a.value,
        "queueBehaviour": a.queue_behaviour,
        "createdAt": a.created_at,
    }


def _check_value(value: str | None) -> str | None:
    if value is not None and len(value) > MAX_VALUE_CHARS:
        raise QueueError(f"value: at most {MAX_VALUE_CHARS} characters")
    return value


class ActionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, project_id: str) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(
                select(Action)
                .where(Action.project_id == project_id)
                .order_by(Action.created_at, Action.id)
            )
            return [action_json(a) for a in rows]

    def create(
        self,
        project_id: str,
        name: str,
        value: str | None = None,
        queue_behaviour: str = "NO_CHANGE",
    ) -> dict:
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise QueueError("name: must be 1 to 100 characters")
        if queue_behaviour not in QUEUE_BEHAVIOURS:
            raise QueueError(f"queueBehaviour: must be one of {', '.join(QUEUE_BEHAVIOURS)}")
        value = _check_value(value)
        with self.db.session() as s:
            if s.scalar(
                select(Action.id).where(Action.project_id == project_id, Action.name == name)
            ):
                raise QueueError(f"name: an action named {name!r} already exists")
            count = s.scalar(
                select(func.count()).select_from(Action).where(Action.project_id == project_id)
            )
            if count >= MAX_ACTIONS_PER_PROJECT:
                raise QueueError(f"a project has at most {MAX_ACTIONS_PER_PROJECT} actions")
            action = Action(
                project_id=project_id,
                name=name,
                value=value,
                queue_behaviour=queue_behaviour,
                created_at=now_ms(),
            )
            s.add(action)
            s.flush()
            return action_json(action)

    def _find(self, s, project_id: str, action_id: str) -> Action:
        action = s.get(Action, action_id)
        if action is None or action.project_id != project_id:
            raise NotFound(f"no action {action_id!r} in this project")
        return action

    def get(self, project_id: str, action_id: str) -> dict:
        with self.db.session() as s:
            return action_json(self._find(s, project_id, action_id))

    def delete(self, project_id: str, action_id: str) -> None:
        """Delete the definition; the log of times it was taken stays."""
        with self.db.session() as s:
            s.delete(self._find(s, project_id, action_id))

    def take(
        self,
        project_id: str,
        project_filter: dict[str, Any],
        item_id: str,
        action_id: str,
        *,
        actor: str,
        value: str | None = None,
        queue_id: str | None = None,
    ) -> tuple[dict, dict, list[str]]:
        """Record the action on the item, apply its queue behaviour, enqueue the webhooks.

        One transaction: the log entry, the state change and the outbox rows commit together.
        Returns (item, log entry, event ids).
        """
        value = _check_value(value)
        with self.db.session() as s:
            row, state = load_item(s, project_id, item_id)
            action = self._find(s, project_id, action_id)
            queue = queue_ref(s, project_id, row, state, queue_id)  # where it was acted on
            value = value if value is not None else action.value
            entry = ActionLog(
                project_id=project_id,
                item_id=row.id,
                action_id=action.id,
                action_name=action.name,
                value=value,
                author_id=row.author_id,
                actor=actor,
                created_at=now_ms(),
            )
            s.add(entry)
            completes = action.queue_behaviour == "REMOVE" and (
                state is None or state.status != COMPLETED
            )
            if completes:
                state = set_status(s, row, state, COMPLETED, actor)
            elif action.queue_behaviour == "ADD" and state is not None and state.status != OPEN:
                state = set_status(s, row, state, OPEN, actor)
            if state is not None:
                state.last_action_at = entry.created_at
            s.flush()
            events = []
            item = item_json(row, state, project_filter)
            action_ref = {"id": action.id, "name": action.name, "value": value}
            events.append(
                enqueue(
                    s, project_id, QUEUE_ITEM_ACTION, {**item, "queue": queue, "action": action_ref}
                )
            )
            if completes:
                events.append(
                    enqueue(
                        s,
                        project_id,
                        QUEUE_ITEM_COMPLETED,
                        {**item, "queue": queue, "action": None},
                    )
                )
            item["actions"] = [action_log_json(a) for a in taken_actions(s, project_id, item_id)]
            logged = action_log_json(entry)
        event_ids = [e for e in events if e]
        if event_ids:
            wake_workers(self.db.url)
        return item, logged, event_ids


__all__ = ["QUEUE_BEHAVIOURS", "ActionStore", "action_json"]
