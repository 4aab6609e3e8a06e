"""The `dotnet_*` tools, in the order tools/list shows them."""

from __future__ import annotations

from typing import Any

from polybox.mcp.dotnet import containers, processes, projects, snippets
from polybox.mcp.management.base import ManagementTool

DOTNET_TOOLS: list[ManagementTool[Any]] = [
    *snippets.TOOLS,
    *projects.TOOLS,
    *processes.TOOLS,
    *containers.TOOLS,
]
