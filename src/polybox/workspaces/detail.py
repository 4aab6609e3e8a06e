"""Output trimmed to the detail a caller asked for, saying what was left out.

`concise` keeps the first `CONCISE_LINES` lines of a stream; `full` keeps it all. Either way a
stream is cut to the answer's text limit, and the runtime may have cut it before (its own byte
cap); every cut is named in the run's `cut` list, with how to see more.
"""

from __future__ import annotations

from typing import Literal, Protocol

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


class Streams(Protocol):
    """A run's captured output: a snippet's (`SnippetResult`) or a command's (`CommandResult`)."""

    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...
    @property
    def stdout_truncated(self) -> bool: ...
    @property
    def stderr_truncated(self) -> bool: ...


def trimmed_streams(run: Streams, detail: DetailLevel) -> tuple[str, str, list[str]]:
    """`run`'s stdout and stderr at `detail`, and the notes of what was cut of either."""
    stdout, stdout_cut = trimmed("stdout", run.stdout, detail, cut_by_runtime=run.stdout_truncated)
    stderr, stderr_cut = trimmed("stderr", run.stderr, detail, cut_by_runtime=run.stderr_truncated)
    return stdout, stderr, stdout_cut + stderr_cut
