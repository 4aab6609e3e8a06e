"""The frame of the `dotnet_*` tools: the management tools' table row, the workspaces' answer.

A `dotnet_*` tool is a `ManagementTool` row (name, description, input model, handler, output
model, hints); what differs is the answer. `call_dotnet_tool` validates the arguments with the
server's settings as context (limits are settings), runs the handler (one workspaces service
call) and renders every outcome with `answer`: success or `{status: "error", error}` alike as
structuredContent plus the same JSON as text, `isError` on errors, every text field capped.
An error always says what to do: one that names no fix gets the advice for its kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import mcp_types as types
from pydantic import BaseModel, ValidationError

from polybox.mcp.management.base import Call, ManagementTool, describe_validation_error
from polybox.mcp.results import unexpected_message
from polybox.workspaces import outputs
from polybox.workspaces.answers import Failure, Metadata, capped, failure
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.schemas import SETTINGS_CONTEXT
from polybox.workspaces.service import WorkspaceService
from polybox.workspaces.suggestions import error_advice


def answer(result: BaseModel) -> types.CallToolResult:
    """Render one `dotnet_*` answer (a `Success[...]` or a `Failure`); the one way they leave."""
    structured = capped(result.model_dump(mode="json"))
    text = json.dumps(structured, ensure_ascii=False, separators=(",", ":"))
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=structured,
        is_error=isinstance(result, Failure),
    )


async def call_dotnet_tool(
    tool: ManagementTool[Any], call: Call, arguments: Mapping[str, Any] | None
) -> types.CallToolResult:
    """Validate, run and render one `dotnet_*` call (`forge/access.py` authorised it)."""
    try:
        args = tool.input.model_validate(
            dict(arguments or {}), context={SETTINGS_CONTEXT: await call.instance.live.current()}
        )
    except ValidationError as exc:
        return answer(invalid_arguments(tool, exc))
    try:
        return answer(await tool.handler(call, args))
    except WorkspaceError as exc:
        advice = exc.suggestions or error_advice(exc.kind)
        return answer(failure(exc.kind, exc.message, advice))
    except Exception as exc:  # the edge: log it, never leak a trace to the client
        return answer(
            failure(
                "internal_error",
                unexpected_message(tool.name, exc),
                ["Retry once; if it fails again, give the admin the reference."],
            )
        )


def invalid_arguments(tool: ManagementTool[Any], exc: ValidationError) -> Failure:
    """Every bad argument named at once; the suggestions say each one's valid form."""
    fields = tool.input.model_fields
    bad = dict.fromkeys(str(error["loc"][0]) for error in exc.errors() if error["loc"])
    suggestions = [
        f"{name}: {fields[name].description}"
        if name in fields
        else f"{name}: not a parameter of {tool.name}; it takes {', '.join(fields)}"
        for name in bad
    ]
    return failure("invalid_arguments", describe_validation_error(tool.name, exc), suggestions)


def workspaces(call: Call) -> WorkspaceService:
    """The instance's workspaces service; a clear refusal in a process that has none."""
    if call.instance.workspaces is None:
        raise WorkspaceError(
            "unavailable",
            "this polybox process runs no .NET workspaces",
            ("Call the server started by `polybox serve` or `polybox stdio`.",),
        )
    return call.instance.workspaces


def workspace_metadata(call: Call, started: float, workspace_id: str) -> Metadata:
    """The metadata of a call on one workspace, with the runtime that workspace runs on."""
    return outputs.metadata(started, workspace_id, workspaces(call).runtime_of(workspace_id))


def refused(message: str) -> types.CallToolResult:
    """The answer to a caller that may not use the `dotnet_*` tools."""
    return answer(failure("forbidden", message))
