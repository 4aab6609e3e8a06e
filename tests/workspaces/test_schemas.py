"""The snippet tools' parameters: what is accepted, and how bad input is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from polybox.config import Settings
from polybox.sandbox.dotnet import PackageRef
from polybox.workspaces.schemas import CompareInput, SnippetInput
from workspaces.validation import parse, refusal


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, dotnet_snippet_max_timeout_seconds=60)


def test_a_bare_snippet_runs_on_10_with_the_servers_default_timeout(settings: Settings) -> None:
    args = parse(SnippetInput, settings, code="1 + 1")
    assert (args.dotnet_version, args.packages, args.detail_level) == ("10", [], "concise")
    assert args.timeout(settings) == settings.dotnet_snippet_timeout_seconds == 30


def test_a_version_may_be_given_as_an_integer(settings: Settings) -> None:
    assert parse(SnippetInput, settings, code="1", dotnet_version=8).dotnet_version == "8"


@pytest.mark.parametrize("version", ["7", 11, "10.0", True, None])
def test_a_version_this_server_does_not_run_is_refused_naming_those_it_does(
    settings: Settings, version: object
) -> None:
    assert 'use one of "8", "9", "10"' in refusal(
        SnippetInput, settings, code="1", dotnet_version=version
    )


def test_packages_are_parsed_by_the_runtimes_grammar(settings: Settings) -> None:
    args = parse(SnippetInput, settings, code="1", packages=["Newtonsoft.Json@13.0.3", "Humanizer"])
    assert args.packages == [PackageRef("Newtonsoft.Json", "13.0.3"), PackageRef("Humanizer", None)]


@pytest.mark.parametrize(
    "package",
    ['Evil"/><Target Name="x"', "Newtonsoft.Json@13.0.3<x>", "@1.0.0", 42],
    ids=["xml-in-id", "xml-in-version", "no-id", "not-a-string"],
)
def test_a_package_outside_the_grammar_is_refused(settings: Settings, package: object) -> None:
    assert "packages.0" in refusal(SnippetInput, settings, code="1", packages=[package])


def test_more_than_twenty_packages_are_refused(settings: Settings) -> None:
    packages = [f"Package{i}" for i in range(21)]
    assert "at most 20 items" in refusal(SnippetInput, settings, code="1", packages=packages)


def test_code_must_hold_1_to_50000_characters(settings: Settings) -> None:
    assert "at least 1 character" in refusal(SnippetInput, settings, code="")
    assert "at most 50000 characters" in refusal(SnippetInput, settings, code="x" * 50_001)
    assert parse(SnippetInput, settings, code="x" * 50_000).code


def test_a_timeout_above_the_servers_maximum_is_refused(settings: Settings) -> None:
    assert "at most 60 seconds on this server" in refusal(
        SnippetInput, settings, code="1", timeout_s=61
    )
    assert parse(SnippetInput, settings, code="1", timeout_s=60).timeout(settings) == 60


def test_unknown_parameters_and_detail_levels_are_refused(settings: Settings) -> None:
    text = refusal(SnippetInput, settings, code="1", detail_level="verbose", version="8")
    assert "detail_level" in text
    assert "version" in text


def test_a_comparison_defaults_to_every_version(settings: Settings) -> None:
    assert parse(CompareInput, settings, code="1").dotnet_versions == ["8", "9", "10"]
    assert parse(CompareInput, settings, code="1", dotnet_versions=[10, 8]).dotnet_versions == [
        "10",
        "8",
    ]


@pytest.mark.parametrize(
    ("versions", "expected"),
    [(["10"], "at least 2 items"), (["8", "8"], "name each version once"), (["8", "6"], '"6"')],
)
def test_a_comparison_needs_two_distinct_known_versions(
    settings: Settings, versions: list[str], expected: str
) -> None:
    assert expected in refusal(CompareInput, settings, code="1", dotnet_versions=versions)
