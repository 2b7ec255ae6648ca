"""The HTTP API (FastAPI, mounted into the BentoML service). Routes stay thin."""

import secrets
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from modlab import queue as review_queue
from modlab.agents import agent_scope
from modlab.analyzers.custom import champion_cache
from modlab.analyzers.registry import AnalyzerNotBuilt, AnalyzerUnavailable
from modlab.detectors import DetectorOptions
from modlab.moderation.log import new_request_id, now_ms
from modlab.moderation.pipeline import moderate, run_analyzer
from modlab.projects import FilterError, ProjectError, ProjectNotFound, ProjectView
from modlab.serving.errors import (
    ApiError,
    error_response,
    install_error_handlers,
    require_project,
)
from modlab.serving.routes_queue import build_router as build_queue_router
from modlab.serving.runtime import Runtime

MAX_BODY_BYTES = 1_000_000
# Routes that only add request-log rows or usage: they need not wait for buffered writes.
WRITE_ONLY_PREFIXES = (
    "/api/v1/moderation/text",
    "/api/v1/analyze/",
    "/api/v1/auth",
    "/v1/moderations",
    "/1.0/text/check.json",
    "/livez",
    "/readyz",
)


class RequestIdMiddleware:
    """``x-request-id`` on every answer, 413 above ``MAX_BODY_BYTES``, and read-your-writes:
    a route that may read the request log waits for this process's buffered rows first.

    Plain ASGI (not ``@app.middleware``/``BaseHTTPMiddleware``, which costs a task, a
    stream and ~0.5 ms per request).
    """

    def __init__(self, app, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = length = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                rid = value.decode("latin-1")
            elif name == b"content-length":
                length = value
        rid = rid or new_request_id()
        raw_rid = rid.encode("latin-1")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            resp = error_response(413, f"request body over {MAX_BODY_BYTES} bytes")
            resp.headers["x-request-id"] = rid
            await resp(scope, receive, send)
            return
        scope.setdefault("state", {})["request_id"] = rid
        writer = self.runtime.requests.writer
        if (
            writer is not None
            and writer.pending
            and not scope["path"].startswith(WRITE_ONLY_PREFIXES)
        ):
            await run_in_threadpool(writer.flush)

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0] != b"x-request-id"]
                headers.append((b"x-request-id", raw_rid))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


class Caller(BaseModel):
    """Who is calling: a project (by its key) or the admin."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    project: ProjectView | None = None
    admin: bool = False


class ModerationRequest(BaseModel):
    value: str
    contextId: str | None = Field(default=None, max_length=200)
    authorId: str | None = Field(default=None, max_length=200)
    metadata: dict[str, Any] | None = None
    doNotStore: bool = False


class AnalyzeRequest(BaseModel):
    value: str


class BatchAnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: list[str] = Field(min_length=1, max_length=256)
    models: list[str] = Field(min_length=1, max_length=32)


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    filter: dict[str, Any] | None = None


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    filter: dict[str, Any] | None = None


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="modlab", version="0.1.0", docs_url="/docs", redoc_url=None)
    app.state.runtime = runtime
    install_error_handlers(app)
    settings = runtime.settings

    app.add_middleware(RequestIdMiddleware, runtime=runtime)

    def caller(request: Request) -> Caller:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>'")
        admin = settings.admin_key.get_secret_value() if settings.admin_key else None
        if admin and secrets.compare_digest(key.encode(), admin.encode()):
            return Caller(admin=True)
        project = runtime.projects.authenticate(key)
        if project is None:
            raise ApiError(401, "invalid API key")
        limit = project.rate_limit_requests
        window = project.rate_limit_window_s
        if limit is None:
            limit, window = settings.rate_limit_requests, settings.rate_limit_window_s
        wait = runtime.limiter.check(project.id, limit, window or 10.0)
        if wait is not None:
            retry = max(1, int(wait + 0.999))
            raise ApiError(
                429,
                f"rate limit of {limit} requests per {window:g} s exceeded",
                headers={"Retry-After": str(retry)},
            )
        return Caller(project=project)

    CallerDep = Annotated[Caller, Depends(caller)]

    async def caller_inline(request: Request) -> Caller:
        """``caller`` on the event loop, for the hot routes: no thread hop before the handler.
        It blocks the loop only briefly: keys come from the service's key cache and the
        rate-limit check is a dict (or one short SQLite write with several workers)."""
        return caller(request)

    FastCallerDep = Annotated[Caller, Depends(caller_inline)]

    project_of = require_project

    def check_length(value: str, field: str = "value") -> None:
        if len(value) > settings.max_text_chars:
            raise ApiError(
                413, f"{field} has {len(value)} characters; the limit is {settings.max_text_chars}"
            )

    def options_for(project: ProjectView) -> DetectorOptions:
        return DetectorOptions(
            region=project.settings.get("region", settings.default_region),
            languages=tuple(project.settings.get("languages", ["en"])),
        )

    models = champion_cache()

    @app.get("/api/v1/auth")
    def auth(who: CallerDep) -> dict:
        name = who.project.name if who.project else "admin"
        return {"status": "success", "message": "Valid API key", "project": name}

    @app.get("/api/v1/account")
    def account(who: CallerDep) -> dict:
        project = project_of(who)
        _, units = runtime.requests.usage(project.id)
        return {
            "id": project.id,
            "created_at": project.created_at.isoformat(),
            "plan": "self-hosted",
            "paid_plan_name": "self-hosted",
            "text_api_quota": None,
            "text_api_usage_this_month": units,
            "current_project": {"name": project.name},
        }

    @app.get("/api/v1/projects")
    def list_projects(who: CallerDep) -> dict:
        items = runtime.projects.list() if who.admin else [project_of(who)]
        return {"status": "success", "projects": [p.public() for p in items]}

    @app.post("/api/v1/projects")
    def create_project(body: ProjectCreate, who: CallerDep) -> JSONResponse:
        if not who.admin:
            raise ApiError(403, "creating projects needs the admin key")
        try:
            project, key = runtime.projects.create(body.name, body.filter)
        except FilterError as exc:
            raise ApiError(400, str(exc)) from None
        except ProjectError as exc:
            raise ApiError(400, str(exc)) from None
        return JSONResponse({**project.public(), "apiKey": key}, status_code=201)

    def visible_project(project_id: str, who: Caller) -> ProjectView:
        if who.admin:
            try:
                return runtime.projects.get(project_id)
            except ProjectNotFound:
                raise ApiError(404, f"no project {project_id!r}") from None
        own = project_of(who)
        if project_id not in (own.id, own.name):
            raise ApiError(404, f"no project {project_id!r} for this key")
        return runtime.projects.get(own.id)

    @app.get("/api/v1/projects/{project_id}")
    def get_project(project_id: str, who: CallerDep) -> dict:
        return visible_project(project_id, who).public()

    @app.post("/api/v1/projects/{project_id}")
    def update_project(project_id: str, body: ProjectUpdate, who: CallerDep) -> dict:
        project = visible_project(project_id, who)
        try:
            updated = runtime.projects.update(project.id, name=body.name, filter_patch=body.filter)
        except FilterError as exc:
            raise ApiError(400, str(exc)) from None
        except ProjectError as exc:
            raise ApiError(400, str(exc)) from None
        return updated.public()

    @app.post("/api/v1/moderation/text", response_model=dict)
    def moderate_text(body: ModerationRequest, who: FastCallerDep) -> dict:
        project = project_of(who)
        check_length(body.value)
        with agent_scope(project.id):  # agent:<id> resolves to this project's agents only
            result = moderate(body.value, project.filter, options_for(project))
        rid, ts = new_request_id(), now_ms()
        if not body.doNotStore:
            buffered = runtime.requests.writer is not None
            runtime.requests.record(
                request_id=rid,
                timestamp=ts,
                project_id=project.id,
                value=body.value,
                content=result.body["content"],
                flagged=result.flagged,
                data_found=result.data_found,
                result=result.body,
                label=result.label,
                score=result.score,
                language=result.language,
                author_id=body.authorId,
                context_id=body.contextId,
                metadata=body.metadata,
                usage_text=body.value,  # usage counted in the same transaction
                context=project,  # buffered: QUEUE_ITEM_NEW after the commit (Runtime)
            )
            if not buffered:
                review_queue.on_new_request(runtime.db, project, rid)  # QUEUE_ITEM_NEW webhooks
        else:
            runtime.requests.count_usage(project.id, body.value)
        # A ready JSONResponse skips FastAPI's response validation and jsonable_encoder walk.
        return JSONResponse(
            {"status": "success", "request": {"id": rid, "timestamp": ts}, **result.body}
        )  # type: ignore[return-value]

    @app.post("/api/v1/analyze/batch")
    def analyze_batch(body: BatchAnalyzeRequest, who: CallerDep) -> dict:
        project = project_of(who)
        for i, value in enumerate(body.values):
            check_length(value, f"values[{i}]")
        results = []
        for value in body.values:
            results.append({m: _analyze_one(m, value, project) for m in body.models})
            runtime.requests.count_usage(project.id, value)
        return {"status": "success", "results": results}

    def _analyze_one(name: str, value: str, project: ProjectView) -> dict:
        if name == "language":
            from modlab.analyzers.language import analyze_language

            return analyze_language(value).to_dict()
        entry = project.filter.get(name, {})
        try:
            with agent_scope(project.id):
                return run_analyzer(name, value, entry)
        except AnalyzerNotBuilt as exc:  # temporary: built by make serve (maybe right now)
            raise ApiError(503, str(exc)) from None
        except AnalyzerUnavailable as exc:
            raise ApiError(404, str(exc)) from None

    @app.post("/api/v1/analyze/{name}")
    def analyze(name: str, body: AnalyzeRequest, who: CallerDep) -> dict:
        project = project_of(who)
        check_length(body.value)
        out = _analyze_one(name, body.value, project)
        if name != "language":  # language detection does not count against usage
            runtime.requests.count_usage(project.id, body.value)
        return out

    @app.post("/api/v1/models/{name}/reload")
    def reload_model(name: str, who: CallerDep) -> dict:
        project_of(who) if not who.admin else None
        analyzer = models.reload(name)
        if analyzer is None:
            raise ApiError(404, f"no registered model {name!r} with a champion version")
        return {"status": "success", "model": name, "version": analyzer.version}

    @app.get("/livez")
    def livez() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Response:
        if runtime.ready.is_set():
            return JSONResponse({"status": "ready"})
        return error_response(503, "models are loading")

    from modlab.serving.routes_compat import build_compat_router

    app.include_router(build_compat_router(runtime, caller, caller_inline))
    app.include_router(build_queue_router(runtime, caller))  # queue, actions, webhooks, users
    from modlab.serving.routes_agents import build_agents_router

    app.include_router(build_agents_router(runtime, caller))  # AI agents
    _install_fallbacks(app)
    return app


def _install_fallbacks(app: FastAPI) -> None:
    """JSON 404/405 for paths the API does not have (instead of the server's plain text)."""
    from starlette.routing import compile_path

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    known: list[tuple[object, set[str]]] = []

    def known_paths() -> list[tuple[object, set[str]]]:
        # Built from the OpenAPI description, which lists routes of included routers too.
        if not known:
            for path, ops in app.openapi().get("paths", {}).items():
                regex, _, _ = compile_path(path)
                known.append((regex, {m.upper() for m in ops}))
        return known

    @app.api_route("/{path:path}", methods=methods, include_in_schema=False)
    def fallback(path: str, request: Request) -> JSONResponse:
        allowed: set[str] = set()
        for regex, verbs in known_paths():
            if regex.match("/" + path):
                allowed |= verbs
        if allowed:
            return error_response(
                405,
                f"method {request.method} not allowed on /{path}; use {', '.join(sorted(allowed))}",
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        return error_response(404, f"no route /{path}")
