"""docs/TOOLS.md cannot rot: every management tool, each of its parameters, a valid example."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from polybox.mcp.management import MANAGEMENT_TOOLS
from polybox.mcp.management.base import ManagementTool

TOOLS_MD = Path(__file__).resolve().parents[2] / "docs" / "TOOLS.md"
EXAMPLE = re.compile(r"```json\n(.*?)\n```", re.DOTALL)


def _sections() -> dict[str, str]:
    text = TOOLS_MD.read_text(encoding="utf-8")
    parts = re.split(r"^### (\S+)\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("tool", MANAGEMENT_TOOLS, ids=lambda tool: tool.name)
def test_every_management_tool_is_documented_with_its_parameters(tool: ManagementTool[Any]) -> None:
    section = _sections().get(tool.name)
    assert section is not None, f"add a '### {tool.name}' section to docs/TOOLS.md"
    for parameter in tool.input.model_fields:
        assert f"| `{parameter}` |" in section, f"document {tool.name}'s {parameter!r}"


@pytest.mark.parametrize("tool", MANAGEMENT_TOOLS, ids=lambda tool: tool.name)
def test_every_documented_example_call_is_valid_input(tool: ManagementTool[Any]) -> None:
    examples = EXAMPLE.findall(_sections()[tool.name])
    assert examples, f"give {tool.name} an example call in docs/TOOLS.md"
    for example in examples:
        tool.input.model_validate(json.loads(example))


def test_tools_md_documents_no_tool_that_does_not_exist() -> None:
    assert set(_sections()) == {tool.name for tool in MANAGEMENT_TOOLS}
