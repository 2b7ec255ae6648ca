"""Review queue, actions, webhooks and users routes (``/api/v1/queue``, ``/actions``...).

Every route needs a project key and only ever sees that project's rows: lookups by id are
scoped to the caller's project and answer 404 for another project's ids.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from modlab.projects import ProjectView
from modlab.queue import (
    STATUSES,
    ActionStore,
    NotFound,
    QueueError,
    QueueStore,
    UserStore,
    parse_time,
)
from modlab.serving.errors import ApiError, require_project
from modlab.webhooks import WebhookError, WebhookNotFound, WebhookStore

DELIVERY_STATUSES = ("pending", "delivering", "delivered", "failed")


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    value: str | None = None
    queueBehaviour: str = "NO_CHANGE"


class TakeAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actionId: str
    value: str | None = None
    queueId: str | None = None


class CompleteItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queueId: str | None = None


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    events: list[str] | None = None


class QueueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    filter: dict[str, Any] | None = None


@contextmanager
def _errors() -> Iterator[None]:
    """Domain errors to API errors: bad input 400, unknown (or another project's) id 404."""
    try:
        yield
    except (QueueError, WebhookError) as exc:
        raise ApiError(400, str(exc)) from None
    except (NotFound, WebhookNotFound) as exc:
        raise ApiError(404, str(exc)) from None


def _page(total: int, size: int, number: int) -> dict[str, Any]:
    return {
        "total": total,
        "pageSize": size,
        "pageNumber": number,
        "hasNextPage": number * size < total,
    }


def _actor(project: ProjectView) -> str:
    return f"key:{project.key_prefix}" if project.key_prefix else "project"


PageSize = Annotated[int, Query(ge=1, le=500)]
PageNumber = Annotated[int, Query(ge=1)]


def build_router(runtime, caller) -> APIRouter:
    """The queue/actions/webhooks/users routes; ``caller`` is the app's auth function."""
    router = APIRouter()
    queue = QueueStore(runtime.db)
    actions = ActionStore(runtime.db)
    hooks = WebhookStore(runtime.db)
    users = UserStore(runtime.db)

    def project_key_caller(request: Request) -> ProjectView:
        return require_project(caller(request))

    ProjectDep = Annotated[ProjectView, Depends(project_key_caller)]

    # -- queue items ----------------------------------------------------------------------------

    @router.get("/api/v1/queue/items")
    def list_items(
        project: ProjectDep,
        flagged: bool | None = None,
        since: str | None = None,
        until: str | None = None,
        authorId: str | None = None,
        contextId: str | None = None,
        label: str | None = None,
        actionId: str | None = None,
        status: str | None = None,
        queueId: str | None = None,
        pageSize: PageSize = 50,
        pageNumber: PageNumber = 1,
    ) -> dict:
        if status is not None and status not in STATUSES:
            raise ApiError(400, f"status: must be one of {', '.join(STATUSES)}")
        with _errors():
            flt = queue.resolve_filter(
                project.id,
                queueId,
                {
                    "flagged": flagged,
                    "since_ms": parse_time(since, "since"),
                    "until_ms": parse_time(until, "until"),
                    "author_id": authorId,
                    "context_id": contextId,
                    "label": label,
                    "action_id": actionId,
                    "status": status,
                },
            )
            items, total = queue.list_items(
                project.id,
                project.filter,
                flt,
                limit=pageSize,
                offset=(pageNumber - 1) * pageSize,
            )
        return {
            "status": "success",
            "items": items,
            "pagination": _page(total, pageSize, pageNumber),
        }

    @router.get("/api/v1/queue/items/{item_id}")
    def get_item(item_id: str, project: ProjectDep) -> dict:
        with _errors():
            return {
                "status": "success",
                "item": queue.get_item(project.id, project.filter, item_id),
            }

    @router.post("/api/v1/queue/items/{item_id}/actions")
    def take_action(item_id: str, body: TakeAction, project: ProjectDep) -> JSONResponse:
        with _errors():
            item, entry, _ = actions.take(
                project.id,
                project.filter,
                item_id,
                body.actionId,
                actor=_actor(project),
                value=body.value,
                queue_id=body.queueId,
            )
        return JSONResponse({"status": "success", "item": item, "action": entry}, status_code=201)

    @router.post("/api/v1/queue/items/{item_id}/complete")
    def complete_item(item_id: str, project: ProjectDep, body: CompleteItem | None = None) -> dict:
        with _errors():
            item, _ = queue.complete(
                project.id,
                project.filter,
                item_id,
                _actor(project),
                queue_id=body.queueId if body else None,
            )
        return {"status": "success", "item": item}

    # -- saved queues (ext) ---------------------------------------------------------------------

    @router.get("/api/v1/queues")
    def list_queues(project: ProjectDep) -> dict:
        return {"status": "success", "queues": queue.list_queues(project.id)}

    @router.post("/api/v1/queues")
    def create_queue(body: QueueCreate, project: ProjectDep) -> JSONResponse:
        with _errors():
            created = queue.create_queue(project.id, body.name, body.filter)
        return JSONResponse({"status": "success", "queue": created}, status_code=201)

    @router.get("/api/v1/queues/{queue_id}")
    def get_queue(queue_id: str, project: ProjectDep) -> dict:
        with _errors():
            return {"status": "success", "queue": queue.get_queue(project.id, queue_id)}

    @router.delete("/api/v1/queues/{queue_id}")
    def delete_queue(queue_id: str, project: ProjectDep) -> dict:
        with _errors():
            queue.delete_queue(project.id, queue_id)
        return {"status": "success", "id": queue_id, "deleted": True}

    # -- actions --------------------------------------------------------------------------------

    @router.get("/api/v1/actions")
    def list_actions(project: ProjectDep) -> dict:
        return {"status": "success", "actions": actions.list(project.id)}

    @router.post("/api/v1/actions")
    def create_action(body: ActionCreate, project: ProjectDep) -> JSONResponse:
        with _errors():
            created = actions.create(project.id, body.name, body.value, body.queueBehaviour)
        return JSONResponse({"status": "success", "action": created}, status_code=201)

    @router.get("/api/v1/actions/{action_id}")
    def get_action(action_id: str, project: ProjectDep) -> dict:
        with _errors():
            return {"status": "success", "action": actions.get(project.id, action_id)}

    def _delete_action(action_id: str, project: ProjectView) -> dict:
        with _errors():
            actions.delete(project.id, action_id)
        return {"status": "success", "id": action_id, "deleted": True}

    @router.delete("/api/v1/actions/{action_id}")
    def delete_action(action_id: str, project: ProjectDep) -> dict:
        return _delete_action(action_id, project)

    @router.delete("/api/v1/actions")
    def delete_action_by_query(project: ProjectDep, id: Annotated[str, Query()]) -> dict:
        return _delete_action(id, project)

    # -- webhooks -------------------------------------------------------------------------------

    @router.get("/api/v1/webhooks")
    def list_webhooks(project: ProjectDep) -> dict:
        return {"status": "success", "webhooks": hooks.list(project.id)}

    @router.post("/api/v1/webhooks")
    def create_webhook(body: WebhookCreate, project: ProjectDep) -> JSONResponse:
        with _errors():
            created = hooks.create(project.id, body.url, body.events)
            secret = hooks.secret(project.id)
        return JSONResponse(
            {"status": "success", "webhook": created, "secret": secret}, status_code=201
        )

    @router.get("/api/v1/webhooks/secret")
    def webhook_secret(project: ProjectDep) -> dict:
        with _errors():
            return {"status": "success", "secret": hooks.secret(project.id)}

    @router.post("/api/v1/webhooks/secret/rotate")
    def rotate_webhook_secret(project: ProjectDep) -> dict:
        with _errors():
            return {"status": "success", "secret": hooks.rotate_secret(project.id)}

    @router.get("/api/v1/webhooks/{webhook_id}")
    def get_webhook(webhook_id: str, project: ProjectDep) -> dict:
        with _errors():
            return {"status": "success", "webhook": hooks.get(project.id, webhook_id)}

    def _delete_webhook(webhook_id: str, project: ProjectView) -> dict:
        with _errors():
            hooks.delete(project.id, webhook_id)
        return {"status": "success", "id": webhook_id, "deleted": True}

    @router.delete("/api/v1/webhooks/{webhook_id}")
    def delete_webhook(webhook_id: str, project: ProjectDep) -> dict:
        return _delete_webhook(webhook_id, project)

    @router.delete("/api/v1/webhooks")
    def delete_webhook_by_query(project: ProjectDep, id: Annotated[str, Query()]) -> dict:
        return _delete_webhook(id, project)

    @router.get("/api/v1/webhooks/{webhook_id}/deliveries")
    def list_deliveries(
        webhook_id: str,
        project: ProjectDep,
        status: str | None = None,
        pageSize: PageSize = 50,
        pageNumber: PageNumber = 1,
    ) -> dict:
        if status is not None and status not in DELIVERY_STATUSES:
            raise ApiError(400, f"status: must be one of {', '.join(DELIVERY_STATUSES)}")
        with _errors():
            rows, total = hooks.deliveries(
                project.id,
                webhook_id,
                status=status,
                limit=pageSize,
                offset=(pageNumber - 1) * pageSize,
            )
        return {
            "status": "success",
            "deliveries": rows,
            "pagination": _page(total, pageSize, pageNumber),
        }

    # -- users ----------------------------------------------------------------------------------

    @router.get("/api/v1/users")
    def list_users(
        project: ProjectDep,
        sort: str = "last_seen",
        order: str = "desc",
        pageSize: PageSize = 50,
        pageNumber: PageNumber = 1,
    ) -> dict:
        with _errors():
            rows, total = users.list(
                project.id,
                sort=sort,
                order=order,
                limit=pageSize,
                offset=(pageNumber - 1) * pageSize,
            )
        return {
            "status": "success",
            "users": rows,
            "pagination": _page(total, pageSize, pageNumber),
        }

    @router.get("/api/v1/users/{author_id:path}")
    def get_user(author_id: str, project: ProjectDep) -> dict:
        with _errors():
            return {"status": "success", "user": users.get(project.id, author_id)}

    return router


__all__ = ["build_router"]
