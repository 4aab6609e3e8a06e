"""Protocol-level errors on /mcp are JSON-RPC error objects with plain messages.

Raw HTTP (httpx) against the real app served by uvicorn on 127.0.0.1 (local mode, SQLite): these
are requests no SDK client would send, which is the point.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from mcp_types import INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS

from mcp_clients import serving
from polybox.app import create_app
from polybox.config import load_settings
from polybox.instance import Instance

pytestmark = pytest.mark.anyio
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
PING = {"jsonrpc": "2.0", "id": 7, "method": "ping"}


@pytest.fixture(scope="module")
async def mcp(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A client of one served instance (post to /mcp), shared by the module's tests."""
    data = tmp_path_factory.mktemp("protocol-errors")
    settings = load_settings(
        data_dir=data / "data", database_url=f"sqlite+aiosqlite:///{data / 'polybox.db'}"
    )
    async with (
        Instance.running(settings, run_tools=False) as instance,
        serving(create_app(instance), "127.0.0.1") as url,
        httpx.AsyncClient(base_url=url.removesuffix("/mcp"), headers=HEADERS, timeout=30) as client,
    ):
        yield client


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC error object of `response`, checked to be one."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body: dict[str, Any] = response.json()
    assert body["jsonrpc"] == "2.0"
    assert set(body) == {"jsonrpc", "id", "error"}
    return body


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"hello": 1}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "1.0", "id": 1, "method": "ping"}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "2.0", "id": 1}, 'a request needs a "method"'),
        ({"jsonrpc": "2.0", "id": 1, "method": 5}, '"method" must be a string'),
        (
            {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": [1]},
            '"params" must be an object',
        ),
        ({"jsonrpc": "2.0", "id": [1], "result": {}}, '"id" must be a string or an integer'),
        ([PING, PING], "must be one JSON-RPC 2.0 message (an object), not an array"),
    ],
)
async def test_a_body_that_is_not_json_rpc_is_an_invalid_request_in_plain_words(
    mcp: httpx.AsyncClient, body: Any, problem: str
) -> None:
    response = await mcp.post("/mcp", json=body)

    assert response.status_code == 400
    error = error_of(response)["error"]
    assert error["code"] == INVALID_REQUEST
    assert error["message"].startswith("invalid JSON-RPC request: ")
    assert problem in error["message"]
    assert "validation error" not in error["message"].lower()
    assert "pydantic" not in error["message"]


async def test_the_id_of_an_invalid_request_is_echoed_when_usable(mcp: httpx.AsyncClient) -> None:
    response = await mcp.post("/mcp", json={"jsonrpc": "2.0", "id": "abc", "method": 5})

    assert error_of(response)["id"] == "abc"


async def test_an_unsupported_protocol_version_header_names_the_supported_versions(
    mcp: httpx.AsyncClient,
) -> None:
    response = await mcp.post("/mcp", json=PING, headers={"mcp-protocol-version": "1999-01-01"})

    assert response.status_code == 400
    body = error_of(response)
    assert body["id"] == 7
    assert body["error"]["code"] == UNSUPPORTED_PROTOCOL_VERSION
    message = body["error"]["message"]
    assert "'1999-01-01'" in message
    assert "MCP-Protocol-Version header" in message
    assert "_meta" not in message
    for version in (*HANDSHAKE_PROTOCOL_VERSIONS, *MODERN_PROTOCOL_VERSIONS):
        assert version in message
    assert body["error"]["data"]["requested"] == "1999-01-01"


async def test_a_body_over_the_limit_is_a_json_rpc_error_413(mcp: httpx.AsyncClient) -> None:
    declared = await mcp.post("/mcp", content=b" " * (4 * 1024 * 1024 + 1))

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(5):
            yield b" " * (1024 * 1024)

    streamed = await mcp.post("/mcp", content=chunks())

    for response in (declared, streamed):
        assert response.status_code == 413
        error = error_of(response)["error"]
        assert error["code"] == INVALID_REQUEST
        assert (
            error["message"] == "the request body is larger than 4194304 bytes, the limit of /mcp"
        )


async def test_a_refusal_the_sdk_words_in_plain_text_is_a_json_rpc_error(
    mcp: httpx.AsyncClient,
) -> None:
    """A wrong Content-Type is refused by the SDK's transport security (local mode)."""
    response = await mcp.post("/mcp", content=b"ping", headers={"content-type": "text/plain"})

    assert response.status_code == 400
    error = error_of(response)["error"]
    assert error == {"code": INVALID_REQUEST, "message": "Invalid Content-Type header"}


async def test_a_valid_request_still_gets_its_answer(mcp: httpx.AsyncClient) -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": HANDSHAKE_PROTOCOL_VERSIONS[-1],
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    }
    response = await mcp.post(
        "/mcp", json=initialize, headers={"accept": "application/json, text/event-stream"}
    )

    assert response.status_code == 200, response.text
    assert "polybox" in response.text
