"""Forged tools (`<server>__<tool>`) on MCP: their tools/list entries and their calls.

Listing reads the `ToolCatalog` cache (one query after each change, none otherwise) and keeps
the rendered entries for as long as the catalog keeps its snapshot. A call goes to the
`ToolRunner`, which follows the tool's call plan (read from the store once, dropped with the next
change event), validates the arguments, runs the approved code in the sandbox and hands the
execution log to its writer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mcp_types as types

from polybox.forge.actors import Actor
from polybox.forge.catalog import CallableTool, ToolCatalog
from polybox.forge.errors import ForgeError
from polybox.forge.runner import ToolRunner
from polybox.instance import Instance
from polybox.mcp.reporting import SILENT, Reporter
from polybox.mcp.results import failure, success, unexpected


def listing(tool: CallableTool) -> types.Tool:
    """The `tools/list` entry of one callable tool."""
    return types.Tool(
        name=tool.public_name,
        description=tool.description,
        input_schema=dict(tool.input_schema),
        output_schema=None if tool.output_schema is None else dict(tool.output_schema),
        annotations=(
            types.ToolAnnotations.model_validate(dict(tool.annotations))
            if tool.annotations
            else None
        ),
    )


class ForgedTools:
    """The callable forged tools of one instance."""

    def __init__(self, instance: Instance, runner: ToolRunner) -> None:
        self.instance = instance
        self.runner = runner
        self.catalog = ToolCatalog()
        self._rendered_from: Sequence[CallableTool] | None = None
        self._rendered: list[types.Tool] = []

    async def listings(self) -> list[types.Tool]:
        tools = await self.catalog.get(self.instance.sessions)
        if tools is not self._rendered_from:
            self._rendered = [listing(tool) for tool in tools]
            self._rendered_from = tools
        return self._rendered

    def input_schema(self, name: str) -> Mapping[str, Any] | None:
        """The cached input schema of forged tool `name` (None when not cached; see `peek`)."""
        tool = self.catalog.peek(name)
        return None if tool is None else tool.input_schema

    async def call(
        self,
        actor: Actor,
        name: str,
        arguments: Mapping[str, Any] | None,
        report: Reporter = SILENT,
    ) -> types.CallToolResult:
        """Run the tool; every failure is a tool error with a message the model can act on.

        A client that asked for log messages hears how the call ended (logger: the tool).
        """
        try:
            outcome = await self.runner.call_tool(
                self.instance.sessions, self.instance.events, actor, name, arguments
            )
        except ForgeError as exc:
            return failure(exc.message)
        except Exception as exc:  # the edge: log it, never leak a trace to the client
            return unexpected(name, exc)
        if not outcome.ok or outcome.structured is None:
            await report.log("error", outcome.error or outcome.text, name)
            return failure(outcome.error or outcome.text)
        await report.log("info", f"ok in {outcome.duration_ms:.0f} ms", name)
        return success(outcome.structured, outcome.text)
