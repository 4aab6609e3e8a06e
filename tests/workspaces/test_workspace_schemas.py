"""The workspace tools' parameters: what is accepted, how it is normalised, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from polybox.config import Settings
from polybox.sandbox.dotnet import TEMPLATES
from polybox.workspaces.workspace_schemas import (
    AddFileInput,
    BuildInput,
    CreateProjectInput,
    EndpointInput,
    ExecuteCommandInput,
    ProjectFilesInput,
)
from workspaces.validation import parse, refusal

WORKSPACE = "dotnet8-webapi-3fa2c1"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, dotnet_command_timeout_seconds=60, dotnet_command_max_timeout_seconds=90
    )


def test_the_template_parameter_offers_the_runtime_templates_as_an_enum() -> None:
    template = CreateProjectInput.model_json_schema()["properties"]["template"]
    assert (template["type"], template["enum"]) == ("string", list(TEMPLATES))


def test_a_project_defaults_to_net10_and_the_name_app(settings: Settings) -> None:
    args = parse(CreateProjectInput, settings, template="console")
    assert (args.dotnet_version, args.name) == ("10", "App")


@pytest.mark.parametrize("name", ["1App", "My App", "a/b", "App.", "x" * 65])
def test_a_project_name_that_is_no_csharp_identifier_is_refused(
    settings: Settings, name: str
) -> None:
    assert "name" in refusal(CreateProjectInput, settings, template="console", name=name)


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("Program.cs", "Program.cs"),
        ("/workspace/Models/Todo.cs", "Models/Todo.cs"),
        ("./Models//Todo.cs", "Models/Todo.cs"),
        ("/workspace", "."),
    ],
)
def test_paths_are_made_relative_to_the_project_root(
    settings: Settings, given: str, clean: str
) -> None:
    args = parse(ProjectFilesInput, settings, workspace_id=WORKSPACE, path=given)
    assert args.path == clean


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("../outside.cs", '".." is not allowed'),
        ("Models/../../etc/passwd", '".." is not allowed'),
        ("/etc/passwd", "relative to the project root /workspace"),
        ("/workspace/../etc/passwd", '".." is not allowed'),
        ("Models\\Todo.cs", "forward slashes"),
        ("a\x00b", "forward slashes"),
        ("", "at least 1 character"),
    ],
)
def test_a_path_leaving_the_project_root_is_refused_saying_the_rule(
    settings: Settings, path: str, words: str
) -> None:
    assert words in refusal(AddFileInput, settings, workspace_id=WORKSPACE, path=path, content="")


@pytest.mark.parametrize("workspace_id", ["../dotnet8-webapi-3fa2c1", "dotnet7-console-3fa2c1", ""])
def test_a_workspace_id_not_of_polybox_form_is_refused(
    settings: Settings, workspace_id: str
) -> None:
    assert "workspace_id" in refusal(BuildInput, settings, workspace_id=workspace_id)


def test_a_command_timeout_is_the_servers_default_and_capped_by_its_setting(
    settings: Settings,
) -> None:
    assert parse(BuildInput, settings, workspace_id=WORKSPACE).timeout(settings) == 60
    assert "at most 90 seconds on this server" in refusal(
        BuildInput, settings, workspace_id=WORKSPACE, timeout_s=91
    )


def test_only_dotnet_commands_run_and_dotnet_test_is_recognised(settings: Settings) -> None:
    assert parse(
        ExecuteCommandInput, settings, workspace_id=WORKSPACE, command=["dotnet", "test"]
    ).is_test
    assert not parse(
        ExecuteCommandInput, settings, workspace_id=WORKSPACE, command=["dotnet", "format"]
    ).is_test
    assert 'only "dotnet" commands run in a workspace, not "bash"' in refusal(
        ExecuteCommandInput, settings, workspace_id=WORKSPACE, command=["bash", "-c", "id"]
    )


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("http://169.254.169.254/latest", "should match pattern"),
        ("items", "should match pattern"),
        ("//evil.example/items", 'starts with a single "/"'),
        ("/items\r\nHost: evil", "should match pattern"),
    ],
)
def test_an_endpoint_path_naming_anything_but_the_own_api_is_refused(
    settings: Settings, path: str, words: str
) -> None:
    assert words in refusal(EndpointInput, settings, workspace_id=WORKSPACE, path=path)


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"Host": "evil.example"}, "Host are set by the server"),
        ({"Bad Name": "x"}, "headers.Bad Name.[key]"),
        ({"X-Evil": "a\r\nHost: evil"}, "headers.X-Evil"),
    ],
)
def test_framing_and_malformed_headers_are_refused(
    settings: Settings, headers: dict[str, str], words: str
) -> None:
    assert words in refusal(
        EndpointInput, settings, workspace_id=WORKSPACE, path="/", headers=headers
    )


def test_a_json_body_is_sent_as_json_text_and_a_string_body_as_it_is(settings: Settings) -> None:
    json_call = parse(
        EndpointInput, settings, workspace_id=WORKSPACE, path="/items", body={"id": 2}
    )
    assert json_call.request() == ({"Content-Type": "application/json"}, '{"id": 2}')
    text_call = parse(
        EndpointInput,
        settings,
        workspace_id=WORKSPACE,
        path="/items",
        headers={"content-type": "text/plain"},
        body="hi",
    )
    assert text_call.request() == ({"content-type": "text/plain"}, "hi")
