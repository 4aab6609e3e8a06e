"""Official MCP clients for the MCP tests (tests/mcp), recording the notifications they receive."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
import jsonschema
import mcp_types as types
import uvicorn
from mcp import Client
from mcp.client.session import IncomingMessage
from mcp.client.stdio import StdioServerParameters
from starlette.types import ASGIApp

from polybox.app import create_app
from polybox.config import Settings
from polybox.instance import Instance


class Notifications:
    """The server notifications one client received, waitable."""

    def __init__(self) -> None:
        self.received: list[types.ServerNotification] = []
        self._changed = anyio.Event()

    async def handle(self, message: IncomingMessage) -> None:
        if isinstance(message, types.ServerNotification):
            self.received.append(message)
            self._changed.set()

    def count(self, method: str) -> int:
        return sum(1 for n in self.received if n.method == method)

    async def wait_for(self, method: str, count: int = 1, within: float = 10) -> None:
        """Return once `count` notifications of `method` arrived; fail after `within` seconds."""
        with anyio.fail_after(within):
            while self.count(method) < count:
                self._changed = anyio.Event()
                await self._changed.wait()


Connect = Callable[..., AbstractAsyncContextManager[tuple[Client, Notifications]]]


def client_for(
    server: str | object, *, name: str = "pytest-agent", mode: str = "legacy"
) -> tuple[Client, Notifications]:
    """An official MCP client (no response cache) that records its notifications."""
    notifications = Notifications()
    client = Client(
        server,  # type: ignore[arg-type]
        mode=mode,
        cache=None,
        client_info=types.Implementation(name=name, version="1.0"),
        message_handler=notifications.handle,
    )
    return client, notifications


def stdio_server(settings: Settings) -> StdioServerParameters:
    """`python -m polybox stdio` against the store and data dir of `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYBOX_")}
    env["POLYBOX_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url is not None:
        env["POLYBOX_DATABASE_URL"] = settings.database_url
    return StdioServerParameters(command=sys.executable, args=["-m", "polybox", "stdio"], env=env)


@asynccontextmanager
async def serving(
    app: ASGIApp, address: str, sock: socket.socket | None = None
) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on `address` (or on `sock`, bound and listening already, when the
    caller needs the port first); yields the /mcp URL."""
    if sock is None:
        sock = socket.socket()
        sock.bind((address, 0))
        sock.listen(64)
    port = sock.getsockname()[1]
    # As `polybox serve`: forwarded headers are the app's business (trusted_proxies), not uvicorn's.
    config = uvicorn.Config(app, log_config=None, lifespan="on", proxy_headers=False)
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve, [sock])
        yield f"http://{address}:{port}/mcp"
        server.should_exit = True
    sock.close()


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[tuple[Client, Instance]]:
    """An official MCP client connected over loopback HTTP to an instance running `settings`,
    and that instance (for a test that changes what an admin would)."""
    async with (
        Instance.running(settings) as instance,
        serving(create_app(instance), "127.0.0.1") as url,
    ):
        client, _ = client_for(url)
        async with client:
            yield client, instance


@asynccontextmanager
async def connected_client(settings: Settings) -> AsyncIterator[Client]:
    """An official MCP client connected over loopback HTTP to an instance running `settings`."""
    async with connected(settings) as (client, _):
        yield client


async def call_checked(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call `tool`; its structured answer, checked against the tool's output schema and with
    `isError` set exactly when the answer is an error."""
    result = await client.call_tool(tool, arguments)
    answer: dict[str, Any] | None = result.structured_content
    assert answer is not None, result.content
    schema = {each.name: each.output_schema for each in (await client.list_tools()).tools}[tool]
    jsonschema.validate(answer, schema or {})
    assert result.is_error == (answer["status"] == "error")
    return answer
