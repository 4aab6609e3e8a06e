"""Protocol-level errors of `/mcp` as JSON-RPC error objects with plain messages.

Left to the SDK, a body that is JSON but not a JSON-RPC message gets -32602 with a pydantic dump,
an unknown `MCP-Protocol-Version` header gets a message about `params._meta`, and some refusals
(413, a bad Content-Type, Host or Origin) are plain text. `JsonRpcErrors` stands in front of the
SDK's endpoint: it reads the body within the SDK's own size limit, answers those cases itself,
and turns any other non-JSON error body into a JSON-RPC error object. Valid requests pass through
unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pydantic_core
from mcp_types import INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, UNSUPPORTED_PROTOCOL_VERSION
from mcp_types.jsonrpc import jsonrpc_message_adapter
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SUPPORTED_VERSIONS = (*HANDSHAKE_PROTOCOL_VERSIONS, *MODERN_PROTOCOL_VERSIONS)
_VERSION_HEADER = "mcp-protocol-version"


class _Refused(Exception):
    """A request answered here with a JSON-RPC error object."""

    def __init__(
        self, status: int, code: int, message: str, id: Any = None, data: Any = None
    ) -> None:
        super().__init__(message)
        self.response = JSONResponse(_error(code, message, id, data), status_code=status)


def _error(code: int, message: str, id: Any = None, data: Any = None) -> dict[str, Any]:
    """A JSON-RPC error object; `id` is null when the request's id is unknown."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": id, "error": error}


class JsonRpcErrors:
    """The `/mcp` endpoint `app`, with its protocol-level errors in JSON-RPC form."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            request_id = None
            if scope["method"] == "POST":
                body = await self._body(headers, receive)
                receive = _replay(body, receive)
                if headers.get("content-type", "").startswith("application/json"):
                    request_id = _check_message(body)
            _check_version(headers.get(_VERSION_HEADER), request_id)
        except _Refused as refused:
            await refused.response(scope, receive, send)
            return
        await self.app(scope, receive, _json_errors(send))

    async def _body(self, headers: Headers, receive: Receive) -> bytes:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _too_large(self) -> _Refused:
        return _Refused(
            413,
            INVALID_REQUEST,
            f"the request body is larger than {self.max_body_bytes} bytes, the limit of /mcp",
        )


def _check_version(header: str | None, request_id: Any) -> None:
    if header is not None and header not in SUPPORTED_VERSIONS:
        raise _Refused(
            400,
            UNSUPPORTED_PROTOCOL_VERSION,
            f"unsupported MCP protocol version {header!r} in the MCP-Protocol-Version header; "
            f"this server supports {', '.join(SUPPORTED_VERSIONS)}",
            request_id,
            data={"supported": list(SUPPORTED_VERSIONS), "requested": header},
        )


def _check_message(body: bytes) -> Any:
    """The id of the JSON-RPC 2.0 message in `body`; refused, saying why, if it is not one."""
    try:
        message = pydantic_core.from_json(body)
    except ValueError as exc:
        raise _Refused(400, PARSE_ERROR, f"the body is not valid JSON: {exc}") from None
    request_id = message.get("id") if isinstance(message, Mapping) else None
    usable_id = request_id if isinstance(request_id, str | int) else None
    try:
        jsonrpc_message_adapter.validate_python(message, by_name=False)
    except ValidationError:
        problem = "invalid JSON-RPC request: " + _what_is_wrong(message)
        raise _Refused(400, INVALID_REQUEST, problem, usable_id) from None
    return usable_id


def _what_is_wrong(message: Any) -> str:
    if not isinstance(message, Mapping):
        return f"the body must be one JSON-RPC 2.0 message (an object), not {_kind(message)}"
    has = message.keys()
    checks = (
        (message.get("jsonrpc") != "2.0", '"jsonrpc" must be "2.0"'),
        (
            "method" not in has and not {"result", "error"} & has,
            'a request needs a "method"; a response needs a "result" or an "error"',
        ),
        ("method" in has and not isinstance(message["method"], str), '"method" must be a string'),
        (
            "params" in has and not isinstance(message["params"], Mapping),
            '"params" must be an object',
        ),
        (
            "id" in has and not isinstance(message["id"], str | int),
            '"id" must be a string or an integer',
        ),
    )
    return next(
        (problem for failed, problem in checks if failed),
        "it is neither a request, a notification nor a response of JSON-RPC 2.0",
    )


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that yields `body` once, then whatever the client sends next (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _json_errors(send: Send) -> Send:
    """A `send` that turns a non-JSON error answer of the SDK into a JSON-RPC error object."""
    start: Message | None = None
    text: list[bytes] = []

    async def sending(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start" and message["status"] >= 400:
            content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
            if not content_type.startswith("application/json"):
                start = message
                return
        if start is None:
            await send(message)
            return
        text.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        status: int = start["status"]
        plain = b"".join(text).decode("utf-8", "replace").strip() or f"HTTP {status}"
        code = INTERNAL_ERROR if status >= 500 else INVALID_REQUEST
        body = json.dumps(_error(code, plain)).encode()
        headers = [
            (name, value)
            for name, value in start.get("headers", [])
            if name.lower() not in (b"content-type", b"content-length")
        ]
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return sending
