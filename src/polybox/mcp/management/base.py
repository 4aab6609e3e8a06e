"""The frame every management tool (`polybox_*`) is built on.

A management tool is a table row: name, description, a pydantic input model (its JSON schema is
the tool's `inputSchema`), an optional output model (`outputSchema`), behaviour hints, and a
handler that makes ONE forge service call. `call_management_tool` validates the arguments
(listing every bad field at once), runs the handler and renders the result; the rules
themselves live in the services, and who may call which tool in `forge/access.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import mcp_types as types
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.actors import Actor
from polybox.forge.errors import ForgeError
from polybox.forge.pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.mcp.reporting import SILENT, Reporter
from polybox.mcp.results import failure, success, unexpected


class Input(BaseModel):
    """Base of the input models: unknown arguments are refused, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PageInput(Input):
    page: int = Field(1, ge=1, description="1-based page number.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")


class Deleted(BaseModel):
    """What a delete answers: the name of what is gone."""

    deleted: str


@dataclass(frozen=True)
class Call:
    """What a handler gets besides its arguments: the instance, who is calling, and where to
    send progress and log messages about the call (nowhere, unless the client asked)."""

    instance: Instance
    actor: Actor
    report: Reporter = SILENT

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """One unit of work: commits, then publishes the events the service queued."""
        return transaction(self.instance.sessions, self.instance.events)


InputT = TypeVar("InputT", bound=Input)


@dataclass(frozen=True)
class ManagementTool(Generic[InputT]):
    name: str
    description: str
    input: type[InputT]
    handler: Callable[[Call, InputT], Awaitable[BaseModel]]
    output: type[BaseModel] | None = None
    read_only: bool = False  # also: callable under remote_tool_editing=read_only, or `tools:call`
    destructive: bool = False
    idempotent: bool = False

    def listing(self) -> types.Tool:
        """The `tools/list` entry."""
        output_schema = (
            None if self.output is None else self.output.model_json_schema(mode="serialization")
        )
        return types.Tool(
            name=self.name,
            description=self.description,
            input_schema=self.input.model_json_schema(),
            output_schema=output_schema,
            annotations=types.ToolAnnotations(
                read_only_hint=self.read_only,
                destructive_hint=self.destructive,
                idempotent_hint=self.idempotent,
                open_world_hint=False,
            ),
        )


def describe_validation_error(tool: str, exc: ValidationError) -> str:
    """One sentence naming every bad argument, so the model can fix them all in one retry."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        problems.append(f"{where}: {str(error['msg']).removeprefix('Value error, ')}")
    return f"invalid arguments for {tool}: " + "; ".join(problems)


async def call_management_tool(
    tool: ManagementTool[Any], call: Call, arguments: Mapping[str, Any] | None
) -> types.CallToolResult:
    """Validate, run and render one management tool call (`forge/access.py` authorised it)."""
    try:
        args = tool.input.model_validate(dict(arguments or {}))
    except ValidationError as exc:
        return failure(describe_validation_error(tool.name, exc))
    try:
        result = await tool.handler(call, args)
    except ForgeError as exc:
        return failure(exc.message)
    except Exception as exc:  # the edge: log it, never leak a trace to the client
        return unexpected(tool.name, exc)
    return success(result.model_dump(mode="json"))
