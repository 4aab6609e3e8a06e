"""`http` as tool code sees it: an async client whose requests travel to the egress broker.

Part of the worker program run inside the Box (stdlib only; see `program.py`). The child sends
{"op": "http", "rid", "request"} frames over its socket to the worker, which relays them to the
supervisor; answers come back as {"rid", "response" | "error"}.
"""

import asyncio
import base64
import json
import socket
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polybox.sandbox.python.framing import FrameBuffer, FrameError, encode


class HttpError(Exception):
    """An HTTP request was refused or failed; the message says why."""


class Headers(dict[str, str]):
    """Response headers; lookups ignore case (keys are stored lower-case)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class Response:
    """What `http.*` returns: status_code, headers, content, text, json(), url."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.status_code: int = int(data["status_code"])
        self.headers = Headers()
        for key, value in data["headers"]:
            lower = key.lower()
            self.headers[lower] = (
                f"{self.headers[lower]}, {value}" if lower in self.headers else value
            )
        self.content: bytes = base64.b64decode(data["body"])
        self.url: str = str(data["url"])

    @property
    def text(self) -> str:
        content_type = self.headers.get("content-type", "")
        charset = "utf-8"
        for part in content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, "replace")
        except LookupError:
            return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise HttpError(f"{self.url} answered HTTP {self.status_code}")

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"


class Channel:
    """The child's side of the socket to the worker: sends http requests, awaits answers."""

    def __init__(self, sock: socket.socket, frame_limit: int) -> None:
        self.sock = sock
        self.frames = FrameBuffer(frame_limit)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.reader: asyncio.Task[None] | None = None
        self.next_id = 0

    async def request(self, request: dict[str, Any]) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        if self.reader is None:
            self.sock.setblocking(False)
            self.reader = loop.create_task(self._read())
        self.next_id += 1
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.pending[self.next_id] = future
        await loop.sock_sendall(
            self.sock, encode({"op": "http", "rid": self.next_id, "request": request})
        )
        return await future

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        reason = "the connection to the supervisor closed"
        try:
            while chunk := await loop.sock_recv(self.sock, 1 << 20):
                for frame in self.frames.feed(chunk):
                    future = self.pending.pop(frame.get("rid", -1), None)
                    if future is not None and not future.done():
                        future.set_result(frame)
        except FrameError as exc:  # no answer can arrive after a broken frame
            reason = f"the answer from the supervisor was unreadable: {exc}"
        for future in self.pending.values():
            future.set_exception(HttpError(reason))

    def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()


class HttpClient:
    """The injected `http`: async get/post/put/patch/delete/head/request, like httpx."""

    Error = HttpError

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | str | bytes | None = None,
        content: str | bytes | None = None,
    ) -> Response:
        header_items = [(str(k), str(v)) for k, v in (headers or {}).items()]
        body = _body(json, data, content, header_items)
        request = {
            "method": str(method).upper(),
            "url": str(url),
            "params": [(str(k), str(v)) for k, v in (params or {}).items()],
            "headers": header_items,
            "body": base64.b64encode(body).decode("ascii"),
        }
        answer = await self._channel.request(request)
        if "error" in answer:
            raise HttpError(str(answer["error"]))
        return Response(answer["response"])

    async def get(self, url: str, **kwargs: Any) -> Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> Response:
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> Response:
        return await self.request("DELETE", url, **kwargs)

    async def head(self, url: str, **kwargs: Any) -> Response:
        return await self.request("HEAD", url, **kwargs)


def _body(payload: Any, data: Any, content: Any, headers: list[tuple[str, str]]) -> bytes:
    names = {k.lower() for k, _ in headers}

    def content_type(value: str) -> None:
        if "content-type" not in names:
            headers.append(("Content-Type", value))

    if payload is not None:
        content_type("application/json")
        return json.dumps(payload).encode("utf-8")
    if isinstance(data, Mapping):
        content_type("application/x-www-form-urlencoded")
        return urllib.parse.urlencode({str(k): str(v) for k, v in data.items()}).encode("ascii")
    raw = content if content is not None else data
    if raw is None:
        return b""
    return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
