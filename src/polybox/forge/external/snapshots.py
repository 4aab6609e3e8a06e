"""A passthrough tool's version text: the remote definition it passes through, as a comment block.

The JSON inside is the remote tool's name, description, schemas and annotations, so a version
can be reviewed and diffed like code and nothing mistakes it for code; `annotations_of` reads the
annotations back when an earlier version is restored (they have no column of their own).
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types

SNAPSHOT_HEADER = "# passthrough tool: the remote definition this version passes through\n"


def snapshot(tool: types.Tool) -> str:
    """The version text of a remote definition: a comment block holding its JSON."""
    definition = {
        "name": tool.name,
        "description": tool.description or "",
        "input_schema": tool.input_schema,
        "output_schema": tool.output_schema,
        "annotations": remote_annotations(tool),
    }
    text = json.dumps(definition, indent=2, sort_keys=True, ensure_ascii=False)
    return SNAPSHOT_HEADER + "".join(f"# {line}\n" for line in text.splitlines())


def remote_annotations(tool: types.Tool) -> dict[str, Any]:
    """The remote tool's annotations as stored on the tool row (empty when it has none)."""
    if tool.annotations is None:
        return {}
    dumped: dict[str, Any] = tool.annotations.model_dump(by_alias=True, exclude_none=True)
    return dumped


def annotations_of(text: str) -> dict[str, Any]:
    """The annotations recorded in a snapshot made by `snapshot` (empty if it holds none)."""
    body = text.removeprefix(SNAPSHOT_HEADER)
    definition = json.loads("".join(line.removeprefix("# ") + "\n" for line in body.splitlines()))
    found = definition.get("annotations") if isinstance(definition, dict) else None
    return found if isinstance(found, dict) else {}
