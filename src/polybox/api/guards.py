"""What stands in front of the admin API: the request body limit and, when configured, CORS.

Both are pure ASGI, so the activity stream's Server-Sent Events pass through untouched. They
guard `/api` only: `/mcp` is served by the MCP SDK, which has limits of its own.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polybox.api.errors import error_response
from polybox.config import Settings

CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CORS_HEADERS = ("Authorization", "Content-Type", "Last-Event-ID")


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` with 413 in the API's error body.

    A declared Content-Length over the limit is refused before the app runs; a body sent without
    one (chunked) is counted as it arrives and refused the moment it passes the limit, so a
    client cannot make the server buffer more than `max_bytes` by not declaring a length.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.message = (
            f"the request body is larger than {max_bytes} bytes, the admin API's limit "
            "(setting POLYBOX_API_MAX_BODY_BYTES)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = error_response(413, "payload_too_large", self.message)
            await response(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the API's own call stack: its HTTPException handler renders it.
                    raise HTTPException(413, self.message)
            return message

        await self.app(scope, receive_within_limit, send)


def guard_api(app: ASGIApp, settings: Settings) -> ASGIApp:
    """`app` (the admin API) behind the body limit, and CORS for the configured origins only."""
    guarded: ASGIApp = BodyLimitMiddleware(app, settings.api_max_body_bytes)
    if settings.cors_origins:
        guarded = CORSMiddleware(
            guarded,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            max_age=600,
        )
    return guarded
