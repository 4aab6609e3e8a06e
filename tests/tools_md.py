"""docs/TOOLS.md read as data: one section per tool, with its example calls."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

TOOLS_MD = Path(__file__).resolve().parents[1] / "docs" / "TOOLS.md"
EXAMPLE = re.compile(r"```json\n(.*?)\n```", re.DOTALL)


def sections() -> dict[str, str]:
    """Each `### <tool>` section's text, by tool name."""
    text = TOOLS_MD.read_text(encoding="utf-8")
    parts = re.split(r"^### (\S+)\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def documented_examples(name: str) -> list[dict[str, Any]]:
    """The example calls (`arguments`) docs/TOOLS.md gives for tool `name`."""
    return [json.loads(example) for example in EXAMPLE.findall(sections()[name])]
