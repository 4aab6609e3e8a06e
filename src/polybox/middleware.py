"""ASGI middleware of the whole HTTP app: request ids, access log and metrics; security headers.

Pure ASGI (not BaseHTTPMiddleware) so streaming responses — MCP's Streamable HTTP and SSE — pass
through untouched.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping

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


# For the same-origin admin UI: its own scripts, styles and API only; never framed, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
)


class SecurityHeadersMiddleware:
    """Adds the browser hardening headers to every HTTP response that does not set its own.

    `csp_by_path` gives a page that needs more (the API docs show Swagger UI's data: images) its
    own Content-Security-Policy; every other response gets CONTENT_SECURITY_POLICY.
    """

    def __init__(self, app: ASGIApp, csp_by_path: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.csp_by_path = {path: csp.encode() for path, csp in (csp_by_path or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = self.csp_by_path.get(scope["path"], CONTENT_SECURITY_POLICY.encode())
        hardening = (
            (b"content-security-policy", csp),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
        )

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in hardening if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_hardened)
