"""Tool results as MCP wants them: structured content plus the same JSON as text, or an error.

Errors the model can act on (`ForgeError`) become `isError` results carrying the plain message.
Anything unexpected is logged with its traceback under a short reference, and the client gets a
generic message with that reference: a trace never leaves the server.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import mcp_types as types

from polybox.logs import get_logger

_log = get_logger("polybox.mcp")


def success(structured: dict[str, Any], text: str | None = None) -> types.CallToolResult:
    """A result whose text is the JSON of its structured content (never a Python repr).

    Pass `text` when that JSON is at hand already, so it is not encoded twice.
    """
    if text is None:
        text = json.dumps(structured, ensure_ascii=False, separators=(",", ":"))
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structured_content=structured
    )


def failure(message: str) -> types.CallToolResult:
    """A tool error the model can read and act on."""
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=message)], is_error=True
    )


def unexpected(tool: str, exc: BaseException) -> types.CallToolResult:
    """Log `exc` with its traceback; tell the client only that it failed, and the reference."""
    return failure(unexpected_message(tool, exc))


def unexpected_message(tool: str, exc: BaseException) -> str:
    """Log `exc` with its traceback under a new reference; the message for the client."""
    reference = uuid.uuid4().hex[:12]
    _log.error("mcp tool failed", tool=tool, reference=reference, exc_info=exc)
    return (
        f"{tool} failed with an internal error (reference {reference}); "
        "the server log has the details."
    )
