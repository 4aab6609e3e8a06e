"""/api/dotnet and /api/settings/dotnet: each version's state, the record of snippet runs (code
kept for a bounded time), the .NET startup settings, and the dashboard's snippet numbers.

Runs are recorded by the same `SnippetRecorder` the MCP tools use (tests/mcp/
test_mcp_dotnet_snippets.py records them through real runs); here the API reads them back.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from polybox.forge.actors import Actor
from polybox.forge.retention import purge_old_logs
from polybox.instance import Instance
from polybox.store.enums import ActorKind
from polybox.store.types import utcnow
from polybox.workspaces.snippet_log import SnippetRecorder, code_hash

pytestmark = pytest.mark.anyio
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no store involved
LLM = Actor(ActorKind.LLM, "claude", client_id="client-7")
ADMIN_ONLY = ("/api/dotnet/status", "/api/dotnet/snippets", "/api/dotnet/snippets/1",
              "/api/settings/dotnet")  # fmt: skip


async def record(instance: Instance, *runs: tuple[str, str, str, float]) -> None:
    """Record (code, version, outcome, seconds) runs of the LLM client."""
    recorder = SnippetRecorder(instance.sessions, instance.events, LLM)
    for code, version, outcome, seconds in runs:
        await recorder.record(code, version, outcome, seconds)


async def test_a_snippet_run_is_listed_with_its_code_and_in_the_activity_log(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    await record(instance, ('Console.WriteLine("hi");', "8", "ok", 0.25))
    [run] = (await api.get("/api/dotnet/snippets", headers=admin_headers)).json()["items"]
    assert {key: run[key] for key in ("owner", "version", "outcome", "duration_ms", "code")} == {
        "owner": "client-7",
        "version": "8",
        "outcome": "ok",
        "duration_ms": 250.0,
        "code": 'Console.WriteLine("hi");',
    }
    assert run["code_hash"] == code_hash('Console.WriteLine("hi");')
    one = await api.get(f"/api/dotnet/snippets/{run['id']}", headers=admin_headers)
    assert one.json() == run
    activity = await api.get(
        "/api/activity", params={"action": "dotnet.snippet_run"}, headers=admin_headers
    )
    [entry] = activity.json()["items"]
    assert (entry["actor_kind"], entry["actor_name"], entry["target_id"]) == (
        "llm",
        "claude",
        str(run["id"]),
    )
    assert entry["details"] == {
        "owner": "client-7",
        "version": "8",
        "outcome": "ok",
        "duration_ms": 250.0,
        "code_hash": run["code_hash"],
    }


async def test_the_code_is_erased_after_its_retention_and_the_run_stays(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    await record(instance, ("return 1;", "10", "ok", 0.1))
    days = instance.settings.dotnet_snippet_code_retention_days
    purged = await purge_old_logs(
        instance.sessions, 30, code_retention_days=days, now=utcnow() + timedelta(days=days + 1)
    )
    assert (purged.snippet_codes, purged.snippet_runs) == (1, 0)
    [run] = (await api.get("/api/dotnet/snippets", headers=admin_headers)).json()["items"]
    assert (run["code"], run["code_hash"]) == (None, code_hash("return 1;"))
    gone = await purge_old_logs(instance.sessions, 30, now=utcnow() + timedelta(days=31))
    assert gone.snippet_runs == 1
    missing = await api.get(f"/api/dotnet/snippets/{run['id']}", headers=admin_headers)
    assert missing.status_code == 404
    assert "log retention" in missing.json()["error"]["message"]


async def test_the_dashboard_counts_runs_and_failures_per_day_and_percentiles_per_version(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    await record(
        instance,
        ("a", "8", "ok", 0.1),
        ("b", "8", "compile_error", 0.3),
        ("c", "9", "timeout", 2.0),
    )
    board = (await api.get("/api/dashboard", headers=admin_headers)).json()["snippets"]
    assert len(board["per_day"]) == 7
    assert {key: board["per_day"][-1][key] for key in ("runs", "failures")} == {
        "runs": 3,
        "failures": 2,
    }
    assert sum(day["runs"] for day in board["per_day"][:-1]) == 0
    assert board["per_version"] == [
        {"version": "8", "runs": 2, "failures": 1, "p50_ms": 100.0, "p95_ms": 300.0},
        {"version": "9", "runs": 1, "failures": 1, "p50_ms": 2000.0, "p95_ms": 2000.0},
    ]


@SQLITE_ONLY
async def test_each_version_says_why_it_cannot_run_in_a_process_without_a_sandbox(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """The API fixture's instance runs no tools (no sandbox); a served instance with .NET
    prepared reports the real runtimes (tests/mcp/test_mcp_dotnet_snippets.py)."""
    versions = (await api.get("/api/dotnet/status", headers=admin_headers)).json()
    assert [v["version"] for v in versions] == ["8", "9", "10"]
    assert [(v["enabled"], v["prewarmed"]) for v in versions] == [
        (True, False),
        (True, False),
        (True, True),
    ]
    assert all(not v["available"] and not v["warm"] for v in versions)
    assert all("`polybox doctor`" in v["fix"] for v in versions)


@SQLITE_ONLY
async def test_the_dotnet_settings_name_their_variable_and_hide_feed_credentials(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    instance.settings = instance.settings.model_copy(
        update={"dotnet_nuget_source": "https://bot:s3cret@feed.example/v3/index.json"}
    )
    listed = (await api.get("/api/settings/dotnet", headers=admin_headers)).json()
    settings = {item["name"]: item for item in listed}
    assert settings["dotnet_versions"]["env"] == "POLYBOX_DOTNET_VERSIONS"
    assert settings["dotnet_versions"]["value"] == ["8", "9", "10"]
    assert settings["mcp_tool_sets"]["value"] == ["polybox", "dotnet"]
    assert settings["dotnet_snippet_code_retention_days"]["description"]
    assert settings["dotnet_nuget_source"]["value"] == "https://***@feed.example/v3/index.json"
    assert "s3cret" not in str(listed)


@SQLITE_ONLY
async def test_the_dotnet_routes_refuse_a_caller_who_is_not_an_admin(
    api: httpx.AsyncClient,
) -> None:
    for path in ADMIN_ONLY:
        response = await api.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert (response.status_code, response.json()["error"]["type"]) == (401, "unauthorized")
