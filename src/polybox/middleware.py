"""ASGI middleware that gives every HTTP request an id, an access log line and metrics.

Pure ASGI (not BaseHTTPMiddleware) so streaming responses — MCP's Streamable HTTP and SSE — pass
through untouched.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polybox.logs import get_logger
from polybox.metrics import Metrics, area_of

REQUEST_ID_HEADER = b"x-request-id"
# A client-supplied id is echoed only when it is short and plain, so it cannot inject log lines.
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")

_log = get_logger("polybox.http")


class RequestContextMiddleware:
    """Binds `request_id` for logging, sets the response header, logs and measures the request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                area = area_of(scope["path"])
                self.metrics.http_requests.labels(area, scope["method"], str(status)).inc()
                self.metrics.http_duration.labels(area).observe(elapsed)
                _log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _SAFE_ID.match(value):
            return str(value.decode())
    return None
