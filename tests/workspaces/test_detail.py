"""Output trimmed to the asked detail, every cut named, every text field within its limit."""

from __future__ import annotations

from polybox.sandbox.dotnet import CommandResult
from polybox.workspaces.answers import TEXT_LIMIT, capped, cut_text
from polybox.workspaces.detail import CONCISE_LINES, trimmed, trimmed_streams

FLOOD = "".join(f"line {n}\n" for n in range(10_000))


def test_concise_keeps_the_first_fifty_lines_and_says_how_to_see_the_rest() -> None:
    text, notes = trimmed("stdout", FLOOD, "concise", cut_by_runtime=False)
    assert text.splitlines() == [f"line {n}" for n in range(CONCISE_LINES)]
    assert notes == [
        'stdout: showing the first 50 of 10,000 lines; call again with detail_level "full" '
        "for all of it"
    ]


def test_full_keeps_every_line_up_to_the_text_limit() -> None:
    text, notes = trimmed("stdout", FLOOD, "full", cut_by_runtime=False)
    assert len(text) == TEXT_LIMIT
    assert text.startswith("line 0\nline 1\n")
    assert text.endswith(f"[… cut here: {len(FLOOD):,} characters in all]")
    assert notes == [f"stdout: cut to 25,000 of {len(FLOOD):,} characters"]


def test_short_output_is_kept_whole_and_a_cut_by_the_runtime_is_named() -> None:
    assert trimmed("stderr", "boom\n", "concise", cut_by_runtime=False) == ("boom\n", [])
    _, notes = trimmed("stderr", "boom\n", "full", cut_by_runtime=True)
    assert notes == [
        "stderr: the run printed more than the server keeps; only the start was captured"
    ]


def test_a_runs_two_streams_are_trimmed_each_with_stdouts_notes_first() -> None:
    run = CommandResult(1, FLOOD, "boom\n", False, True, False, 5.0, None)
    stdout, stderr, notes = trimmed_streams(run, "concise")
    assert (stdout, stderr) == (
        trimmed("stdout", FLOOD, "concise", cut_by_runtime=False)[0],
        "boom\n",
    )
    assert [note.split(":", 1)[0] for note in notes] == ["stdout", "stderr"]


def test_every_string_of_an_answer_is_capped_wherever_it_sits() -> None:
    answer = capped({"data": {"runs": [{"stdout": "x" * 30_000, "exit_code": 0}]}, "n": 1})
    stdout = answer["data"]["runs"][0]["stdout"]
    assert len(stdout) == TEXT_LIMIT
    assert stdout == cut_text("x" * 30_000, TEXT_LIMIT)
    assert answer["n"] == 1
    assert answer["data"]["runs"][0]["exit_code"] == 0
