"""What the workspace tools answer, from the runtime's results: cuts, order and refusals.

The results are built here rather than produced by a real build, since these cases (hundreds of
test cases, a binary file, a build tree of thousands of entries) would take minutes to produce;
tests/mcp/test_mcp_dotnet_workspaces.py covers the same functions on real builds.
"""

from __future__ import annotations

import pytest

from polybox.sandbox.box import FileInfo
from polybox.sandbox.dotnet import BuildResult, CommandResult, TestCase, TestRun
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.outputs import file_content, project_files, unit_tests

QUIET = CommandResult(0, "", "", False, False, False, 10.0, None)
BUILT = BuildResult(True, (), QUIET)


def test_build_output_is_left_out_of_the_tree_unless_asked() -> None:
    entries = [
        FileInfo("App.csproj", 300, False, 0.0),
        FileInfo("bin", 0, True, 0.0),
        FileInfo("bin/Debug/App.dll", 5_000, False, 0.0),
        FileInfo("obj", 0, True, 0.0),
        FileInfo("Models", 0, True, 0.0),
        FileInfo("Models/Todo.cs", 120, False, 0.0),
    ]
    tree = project_files(entries, include_build_output=False)
    assert [entry.path for entry in tree.entries] == ["App.csproj", "Models/", "Models/Todo.cs"]
    assert (tree.files, tree.total_bytes, tree.cut) == (2, 420, [])
    assert project_files(entries, include_build_output=True).files == 3


def test_a_huge_tree_is_cut_saying_how_to_see_the_rest() -> None:
    entries = [FileInfo(f"Gen/File{i}.cs", 10, False, 0.0) for i in range(250)]
    tree = project_files(entries, include_build_output=False)
    assert len(tree.entries) == 200
    assert tree.files == 250
    assert tree.cut == [
        "showing the first 200 of 250 entries; list a folder (path) to see the rest"
    ]


def test_a_binary_file_is_refused_naming_its_size() -> None:
    with pytest.raises(WorkspaceError) as refused:
        file_content("bin/App.dll", b"MZ\x90\x00\xff\xfe")
    assert refused.value.kind == "binary_file"
    assert "bin/App.dll is not UTF-8 text (6 bytes)" in refused.value.message


def test_failed_test_cases_come_first_and_concise_keeps_fifty() -> None:
    passed = [TestCase(f"T.Passes{i}", "passed", 1.0, None) for i in range(60)]
    failed = TestCase("T.Fails", "failed", 2.0, "Assert.Equal() Failure")
    run = TestRun(60, 1, 0, (*passed, failed), BUILT, QUIET)
    concise = unit_tests(run, "concise", 60)
    assert concise.cases[0].name == "T.Fails"
    assert len(concise.cases) == 50
    assert concise.summary == "60 passed, 1 failed, 0 skipped"
    assert concise.cut == [
        'showing 50 of 61 test cases (failed ones first); call again with detail_level "full" '
        "for all"
    ]
    assert len(unit_tests(run, "full", 60).cases) == 61
