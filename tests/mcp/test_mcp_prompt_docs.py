"""docs/PROMPTS_AND_RESOURCES.md cannot rot: every prompt and its arguments, every resource."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from polybox.mcp.prompts import PROMPTS, PolyboxPrompt
from polybox.mcp.resources import TEMPLATES

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROMPTS_AND_RESOURCES.md"


def _sections(part: str) -> dict[str, str]:
    """The `### name` sections under `## <part>`."""
    text = DOC.read_text(encoding="utf-8").split(f"\n## {part}\n", 1)[1].split("\n## ", 1)[0]
    pieces = re.split(r"^### (\S+)\n", text, flags=re.MULTILINE)
    return dict(zip(pieces[1::2], pieces[2::2], strict=True))


@pytest.mark.parametrize("prompt", PROMPTS, ids=lambda prompt: prompt.name)
def test_every_prompt_is_documented_with_its_arguments(prompt: PolyboxPrompt) -> None:
    section = _sections("Prompts").get(prompt.name)
    assert section is not None, f"add a '### {prompt.name}' section to {DOC.name}"
    for argument in prompt.arguments:
        required = "yes" if argument.required else "no"
        assert f"| `{argument.name}` | {required} |" in section, (
            f"document {prompt.name}'s {argument.name!r} (required: {required})"
        )


def test_every_resource_form_is_documented_and_nothing_else() -> None:
    assert set(_sections("Resources")) == {template.uri_template for template in TEMPLATES}


def test_no_prompt_is_documented_that_does_not_exist() -> None:
    assert set(_sections("Prompts")) == {prompt.name for prompt in PROMPTS}
