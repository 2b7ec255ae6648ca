"""The users view: one row per ``authorId`` with its items, flags, mean score and actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from modlab.queue.items import NotFound, QueueError, action_log_json
from modlab.storage.db import Database
from modlab.storage.models import RequestLog
from modlab.storage.queue import ActionLog

SORTS = {
    "items": "n_items",
    "flagged": "flagged_items",
    "last_seen": "last_seen",
    "mean_score": "mean_score",
    "actions": "actions_taken",
    "author_id": "author_id",
}


def _aggregate(project_id: str):
    items = (
        select(
            RequestLog.author_id.label("author_id"),
            func.count().label("n_items"),
            func.sum(case((RequestLog.flagged.is_(True), 1), else_=0)).label("flagged_items"),
            # Items without a non-neutral label score 0, so a mostly clean author scores low.
            func.avg(func.coalesce(RequestLog.score, 0.0)).label("mean_score"),
            func.max(RequestLog.timestamp).label("last_seen"),
            func.min(RequestLog.timestamp).label("first_seen"),
        )
        .where(RequestLog.project_id == project_id, RequestLog.author_id.is_not(None))
        .group_by(RequestLog.author_id)
        .subquery()
    )
    actions = (
        select(ActionLog.author_id.label("author_id"), func.count().label("n"))
        .where(ActionLog.project_id == project_id, ActionLog.author_id.is_not(None))
        .group_by(ActionLog.author_id)
        .subquery()
    )
    query = select(
        items.c.author_id,
        items.c.n_items,
        items.c.flagged_items,
        items.c.mean_score,
        items.c.last_seen,
        items.c.first_seen,
        func.coalesce(actions.c.n, 0).label("actions_taken"),
    ).outerjoin(actions, actions.c.author_id == items.c.author_id)
    return items, query.subquery()


def user_json(row: Any) -> dict[str, Any]:
    return {
        "authorId": row.author_id,
        "items": int(row.n_items or 0),
        "flaggedItems": int(row.flagged_items or 0),
        "meanScore": round(float(row.mean_score or 0.0), 6),
        "lastSeen": row.last_seen,
        "firstSeen": row.first_seen,
        "actionsTaken": int(row.actions_taken or 0),
    }


class UserStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(
        self,
        project_id: str,
        *,
        sort: str = "last_seen",
        order: str = "desc",
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        if sort not in SORTS:
            raise QueueError(f"sort: must be one of {', '.join(SORTS)}")
        if order not in ("asc", "desc"):
            raise QueueError("order: must be asc or desc")
        items, users = _aggregate(project_id)
        column = users.c[SORTS[sort]]
        key = column.desc() if order == "desc" else column.asc()
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(items))
            rows = s.execute(
                select(users).order_by(key, users.c.author_id.asc()).limit(limit).offset(offset)
            ).all()
            return [user_json(r) for r in rows], int(total or 0)

    def get(self, project_id: str, author_id: str, *, recent_actions: int = 50) -> dict[str, Any]:
        _, users = _aggregate(project_id)
        with self.db.session() as s:
            row = s.execute(select(users).where(users.c.author_id == author_id)).first()
            if row is None:
                raise NotFound(f"no user {author_id!r} in this project")
            out = user_json(row)
            out["actions"] = [
                action_log_json(a)
                for a in s.scalars(
                    select(ActionLog)
                    .where(ActionLog.project_id == project_id, ActionLog.author_id == author_id)
                    .order_by(ActionLog.created_at.desc(), ActionLog.id.desc())
                    .limit(recent_actions)
                )
            ]
            return out


__all__ = ["SORTS", "UserStore", "user_json"]
