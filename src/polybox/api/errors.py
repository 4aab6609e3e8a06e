"""One error body for the whole API: `{"error": {"type", "message", "details"}}`.

Forge errors carry their kind, auth errors are 401 with `WWW-Authenticate`, validation errors list
every bad field; anything unexpected is a 500 with a reference, never a traceback.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from polybox.auth.access import AuthError
from polybox.auth.ratelimit import RateLimitedError
from polybox.forge.errors import ErrorKind, ForgeError
from polybox.logs import get_logger
from polybox.workspaces.errors import WorkspaceError

STATUS_OF_KIND = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.INVALID: 422,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAVAILABLE: 503,
}
# A workspace error's kind (its `error.type` on MCP too) and the HTTP status it is; any other
# kind is a conflict with the workspace's state (stopped, busy, held by another process, a cap).
STATUS_OF_WORKSPACE_KIND = {
    "not_found": 404,
    "invalid_path": 422,
    "invalid_arguments": 422,
    "too_large": 422,
    "unavailable": 503,
}
_HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_input",
    429: "rate_limited",
}

_log = get_logger("polybox.api")


class ErrorInfo(BaseModel):
    type: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """The body of every error response, documented so generated clients type it right."""

    error: ErrorInfo


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (401, "Missing, expired or revoked credentials"),
        (403, "Not allowed"),
        (404, "Not found"),
        (409, "Conflict with the current state"),
        (422, "Invalid input; details list each bad field"),
    )
}


def error_response(
    status: int,
    kind: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The API's error body with `status`."""
    body = {"error": {"type": kind, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


async def _forge_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ForgeError)  # noqa: S101 - registered for ForgeError only
    details = [{"field": f.field, "message": f.message} for f in exc.fields] or None
    return error_response(STATUS_OF_KIND[exc.kind], exc.kind.value, exc.message, details)


async def _workspace_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WorkspaceError)  # noqa: S101 - registered for WorkspaceError only
    status = STATUS_OF_WORKSPACE_KIND.get(exc.kind, 409)
    return error_response(status, exc.kind, exc.message, list(exc.suggestions) or None)


async def _auth_error(request: Request, exc: Exception) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="polybox"'}
    return error_response(401, "unauthorized", str(exc), headers=headers)


async def _rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimitedError)  # noqa: S101
    headers = {"Retry-After": str(exc.retry_after)}
    details = {"retry_after": exc.retry_after}
    return error_response(429, "rate_limited", str(exc), details, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    details = [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]
    listed = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return error_response(422, "invalid_input", f"invalid request: {listed}", details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)  # noqa: S101
    kind = _HTTP_TYPES.get(exc.status_code, "error")
    return error_response(exc.status_code, kind, str(exc.detail), headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    reference = uuid.uuid4().hex[:12]
    _log.exception("unexpected API error", reference=reference, path=request.url.path)
    return error_response(500, "internal", f"unexpected error (reference {reference})")


def install_error_handlers(app: FastAPI) -> None:
    """Render every error the API can raise in the one body shape."""
    app.add_exception_handler(ForgeError, _forge_error)
    app.add_exception_handler(WorkspaceError, _workspace_error)
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(RateLimitedError, _rate_limited)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
