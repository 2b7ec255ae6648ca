"""JSON errors everywhere: ``{"status": "error", "code": N, "message": "..."}``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

if TYPE_CHECKING:
    from modlab.projects import ProjectView

log = logging.getLogger("modlab.serving")


class ApiError(Exception):
    """Raised by routes and dependencies; rendered as the API's JSON error."""

    def __init__(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}


def require_project(who: Any) -> ProjectView:
    """The authenticated caller's project; 403 for the admin key on a project route."""
    if who.project is None:
        raise ApiError(403, "this route needs a project key, not the admin key")
    return who.project


def error_response(code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"status": "error", "code": code, "message": message}, status_code=code, headers=headers
    )


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        field = ".".join(loc) or "body"
        msg = err.get("msg", "invalid")
        if err.get("type") == "json_invalid":
            return "request body is not valid JSON"
        if field == "body" and err.get("type") in ("dict_type", "model_attributes_type"):
            return "request body must be a JSON object (Content-Type: application/json)"
        if err.get("type") == "missing":
            msg = "field required"
        elif err.get("type") == "extra_forbidden":
            msg = "unknown field"
        parts.append(f"{field}: {msg}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: "not found", 405: "method not allowed"}
        return error_response(exc.status_code, str(exc.detail) or messages.get(exc.status_code, ""))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error; see the service log")
