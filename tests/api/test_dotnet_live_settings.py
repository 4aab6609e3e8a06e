"""/api/settings/dotnet: the admin changes .NET settings at run time, and resets them.

Each change is checked by the settings themselves (bounds, the max timeouts against their
defaults, the feed's form), every bad field is named at once and nothing is written then; a
startup setting sent here is named as one with its variable. The effect on the next call is
shown through the service here and through the official MCP client in
tests/mcp/test_mcp_dotnet_parameters.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from polybox.config import Settings
from polybox.forge.actors import llm
from polybox.forge.retention import LogRetention
from polybox.instance import Instance
from polybox.sandbox.dotnet import WorkspaceLimits
from polybox.store.models import SnippetRun
from polybox.store.types import utcnow
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.live_settings import effective
from polybox.workspaces.snippet_log import SnippetRecorder
from workspaces.service_setup import box_only_workspaces

pytestmark = pytest.mark.anyio
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PATH = "/api/settings/dotnet"


def by_name(listed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in listed}


async def patch(api: httpx.AsyncClient, headers: dict[str, str], **changes: Any) -> httpx.Response:
    return await api.patch(PATH, json=changes, headers=headers)


async def test_a_change_is_stored_shown_beside_the_startup_value_and_reset(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    before = by_name((await api.get(PATH, headers=admin_headers)).json())
    cap = before["dotnet_workspace_max_per_client"]
    assert (cap["value"], cap["startup_value"], cap["editable"], cap["overridden"]) == (
        10,
        10,
        True,
        False,
    )
    assert (cap["kind"], cap["minimum"], cap["maximum"]) == ("integer", 1, 1000)
    assert before["dotnet_versions"]["choices"] == ["8", "9", "10"]
    assert before["dotnet_compiler_memory_mb"]["editable"] is False

    response = await patch(
        api, admin_headers, dotnet_workspace_max_per_client=3, dotnet_versions=["10", "8"]
    )
    assert response.status_code == 200, response.text
    after = by_name(response.json())
    assert (
        after["dotnet_workspace_max_per_client"]["value"],
        after["dotnet_versions"]["value"],
    ) == (
        3,
        ["10", "8"],
    )
    assert after["dotnet_workspace_max_per_client"]["overridden"] is True
    assert after["dotnet_workspace_max_per_client"]["startup_value"] == 10
    assert (await instance.live.current()).dotnet_workspace_max_per_client == 3
    activity = await api.get(
        "/api/activity", params={"action": "settings.updated"}, headers=admin_headers
    )
    [entry] = activity.json()["items"]
    assert entry["actor_name"] == "alice"
    assert entry["details"]["changes"] == {
        "dotnet_workspace_max_per_client": 3,
        "dotnet_versions": ["10", "8"],
    }

    reset = await api.delete(f"{PATH}/dotnet_workspace_max_per_client", headers=admin_headers)
    assert reset.status_code == 200, reset.text
    cap = by_name(reset.json())["dotnet_workspace_max_per_client"]
    assert (cap["value"], cap["overridden"]) == (10, False)
    assert (await instance.live.current()).dotnet_workspace_max_per_client == 10
    assert (await instance.live.current()).dotnet_versions == ["10", "8"]


@SQLITE_ONLY
async def test_every_bad_change_is_named_at_once_and_nothing_is_written(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    response = await patch(
        api,
        admin_headers,
        dotnet_workspace_max_per_client=0,
        dotnet_snippet_timeout_seconds=400,
        dotnet_compiler_memory_mb=2048,
        dotnet_nuget_source="ftp://feed.example",
        dotnet_versions=["7"],
        colour="blue",
        dotnet_idle_timeout_seconds=60,
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    fields = {field["field"]: field["message"] for field in error["details"]}
    assert fields["dotnet_compiler_memory_mb"] == (
        "a startup setting: set POLYBOX_DOTNET_COMPILER_MEMORY_MB and restart polybox to change it"
    )
    assert fields["colour"] == fields["dotnet_idle_timeout_seconds"] == "unknown .NET setting"
    assert "greater than or equal to 1" in fields["dotnet_workspace_max_per_client"]
    assert "v3 index URL" in fields["dotnet_nuget_source"]
    masked = await patch(api, admin_headers, dotnet_nuget_source="https://***@feed.example/v3")
    assert "user and password masked" in masked.json()["error"]["details"][0]["message"]
    assert "dotnet_versions[0]" in fields
    assert "at least" in fields["dotnet_snippet_max_timeout_seconds"]
    assert (await instance.live.current()) == instance.settings
    listed = by_name((await api.get(PATH, headers=admin_headers)).json())
    assert not any(item["overridden"] for item in listed.values())


@SQLITE_ONLY
async def test_a_reset_of_an_unknown_or_startup_setting_says_so(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    unknown = await api.delete(f"{PATH}/dotnet_colour", headers=admin_headers)
    assert unknown.status_code == 404
    assert "GET /api/settings/dotnet" in unknown.json()["error"]["message"]
    startup = await api.delete(f"{PATH}/mcp_tool_sets", headers=admin_headers)
    assert startup.status_code == 422
    assert "POLYBOX_MCP_TOOL_SETS" in startup.json()["error"]["message"]


@SQLITE_ONLY
async def test_the_changes_refuse_a_caller_who_is_not_an_admin(api: httpx.AsyncClient) -> None:
    headers = {"Authorization": "Bearer not-a-token"}
    responses = [
        await api.patch(PATH, json={"dotnet_workspace_max_per_client": 99}, headers=headers),
        await api.delete(f"{PATH}/dotnet_workspace_max_per_client", headers=headers),
    ]
    assert [r.status_code for r in responses] == [401, 401]


async def test_the_next_workspace_gets_the_changed_cap_and_limits(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    """The bare-Box service (tests/workspaces/service_setup.py) records the limits it is given."""
    response = await patch(
        api, admin_headers, dotnet_workspace_max_per_client=1, dotnet_workspace_memory_mb=768
    )
    assert response.status_code == 200, response.text
    async with box_only_workspaces(instance) as service:
        given: list[WorkspaceLimits] = []
        opener = service._open
        assert opener is not None

        async def recording(version: str, template: str, name: str, limits: WorkspaceLimits) -> Any:
            given.append(limits)
            return await opener(version, template, name, limits)

        service._open = recording
        await service.create(llm("claude"), "console", "8", "One")
        assert [limits.memory_mb for limits in given] == [768]
        with pytest.raises(WorkspaceError, match="dotnet_workspace_max_per_client"):
            await service.create(llm("claude"), "console", "8", "Two")


@SQLITE_ONLY
async def test_the_code_retention_job_uses_the_changed_days(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    recorder = SnippetRecorder(instance.sessions, instance.events, llm("claude"))
    await recorder.record("return 1;", "10", "ok", 0.1)
    async with instance.sessions.begin() as session:
        run = await session.get(SnippetRun, 1)
        assert run is not None
        run.created_at = utcnow() - timedelta(days=2)
    job = LogRetention(
        instance.sessions, interval=3600, code_retention_days=instance.live.code_retention_days
    )
    assert (await job.run_once()).snippet_codes == 0  # kept 7 days by default
    await patch(api, admin_headers, dotnet_snippet_code_retention_days=1)
    assert (await job.run_once()).snippet_codes == 1


def test_a_stored_change_that_no_longer_fits_is_left_out_and_the_rest_kept() -> None:
    """A later start lowered the max timeout under a stored default: that row is ignored."""
    startup = Settings(dotnet_snippet_max_timeout_seconds=60)
    now = effective(
        startup, {"dotnet_snippet_timeout_seconds": 90, "dotnet_workspace_max_per_client": 4}
    )
    assert (now.dotnet_snippet_timeout_seconds, now.dotnet_workspace_max_per_client) == (30, 4)
