"""The management tools, in the order tools/list shows them."""

from __future__ import annotations

from typing import Any

from polybox.mcp.management import develop, external, governance, secrets, servers, tools
from polybox.mcp.management.base import ManagementTool

MANAGEMENT_TOOLS: list[ManagementTool[Any]] = [
    *servers.TOOLS,
    *tools.TOOLS,
    *develop.TOOLS,
    *secrets.TOOLS,
    *governance.TOOLS,
    *external.TOOLS,
    *develop.OBSERVE,
]
