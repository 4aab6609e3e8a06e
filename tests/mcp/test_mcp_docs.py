"""docs/TOOLS.md cannot rot: every built-in tool, each of its parameters, a valid example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polybox.config import Settings
from polybox.mcp.dotnet import DOTNET_TOOLS
from polybox.mcp.management import MANAGEMENT_TOOLS
from polybox.mcp.management.base import ManagementTool
from polybox.workspaces.schemas import SETTINGS_CONTEXT
from tools_md import documented_examples, sections

BUILTIN_TOOLS = [*MANAGEMENT_TOOLS, *DOTNET_TOOLS]


@pytest.mark.parametrize("tool", BUILTIN_TOOLS, ids=lambda tool: tool.name)
def test_every_builtin_tool_is_documented_with_its_parameters(tool: ManagementTool[Any]) -> None:
    section = sections().get(tool.name)
    assert section is not None, f"add a '### {tool.name}' section to docs/TOOLS.md"
    for parameter in tool.input.model_fields:
        assert f"| `{parameter}` |" in section, f"document {tool.name}'s {parameter!r}"


@pytest.mark.parametrize("tool", BUILTIN_TOOLS, ids=lambda tool: tool.name)
def test_every_documented_example_call_is_valid_input(
    tool: ManagementTool[Any], tmp_path: Path
) -> None:
    examples = documented_examples(tool.name)
    assert examples, f"give {tool.name} an example call in docs/TOOLS.md"
    context = {SETTINGS_CONTEXT: Settings(data_dir=tmp_path)}
    for example in examples:
        tool.input.model_validate(example, context=context)


def test_tools_md_documents_no_tool_that_does_not_exist() -> None:
    assert set(sections()) == {tool.name for tool in BUILTIN_TOOLS}
