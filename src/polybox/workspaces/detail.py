"""Output trimmed to the detail a caller asked for, saying what was left out.

`concise` keeps the first `CONCISE_LINES` lines of a stream; `full` keeps it all. Either way a
stream is cut to the answer's text limit, and the runtime may have cut it before (its own byte
cap); every cut is named in the run's `cut` list, with how to see more.
"""

from __future__ import annotations

from typing import Literal

from polybox.workspaces.answers import TEXT_LIMIT, cut_text

DetailLevel = Literal["concise", "full"]
CONCISE_LINES = 50


def trimmed(
    name: str, text: str, detail: DetailLevel, *, cut_by_runtime: bool
) -> tuple[str, list[str]]:
    """`text` (the stream called `name`) at `detail`, and notes of what was cut."""
    notes: list[str] = []
    if cut_by_runtime:
        notes.append(
            f"{name}: the run printed more than the server keeps; only the start was captured"
        )
    if detail == "concise":
        lines = text.splitlines(keepends=True)
        if len(lines) > CONCISE_LINES:
            text = "".join(lines[:CONCISE_LINES])
            notes.append(
                f"{name}: showing the first {CONCISE_LINES} of {len(lines):,} lines; "
                'call again with detail_level "full" for all of it'
            )
    if len(text) > TEXT_LIMIT:
        notes.append(f"{name}: cut to {TEXT_LIMIT:,} of {len(text):,} characters")
        text = cut_text(text, TEXT_LIMIT)
    return text, notes
