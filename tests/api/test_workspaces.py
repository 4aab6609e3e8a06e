"""/api/workspaces: an admin sees every workspace, reads its files, stops one or all of them.

Workspaces here are bare bwrap Boxes on the instance's own store (tests/workspaces/
service_setup.py: the admin side's rules do not depend on what runs inside); the .NET half
is the service's and runtime's tests. SQLite only: the service's own tests cover both stores.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from polybox.forge.actors import llm
from polybox.instance import Instance
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.service import WorkspaceService
from workspaces.service_setup import box_only_workspaces

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
CLIENT = llm("claude-desktop")
PROGRAM = b'Console.WriteLine("hello");\n'


@pytest.fixture
async def workspaces(instance: Instance) -> AsyncIterator[WorkspaceService]:
    async with box_only_workspaces(instance) as service:
        yield service


async def a_workspace(service: WorkspaceService, template: str = "webapi") -> str:
    """A running workspace of CLIENT with a Program.cs and a binary file."""
    view = await service.create(CLIENT, template, "8", "Hello")
    await service.write_file(CLIENT, view.id, "Program.cs", PROGRAM)
    await service.write_file(CLIENT, view.id, "data/blob.bin", b"\xff\xfe\x00")
    return view.id


async def test_an_admin_lists_a_workspace_and_reads_its_files(
    api: httpx.AsyncClient, admin_headers: dict[str, str], workspaces: WorkspaceService
) -> None:
    workspace = await a_workspace(workspaces)
    [listed] = (await api.get("/api/workspaces", headers=admin_headers)).json()
    assert {key: listed[key] for key in ("id", "owner", "version", "template", "status")} == {
        "id": workspace,
        "owner": "claude-desktop",
        "version": "8",
        "template": "webapi",
        "status": "running",
    }
    assert listed["age_seconds"] >= listed["idle_seconds"] >= 0
    assert (listed["ports"], listed["processes"]) == ([], [])
    detail = await api.get(f"/api/workspaces/{workspace}", headers=admin_headers)
    assert detail.json()["id"] == workspace
    board = (await api.get("/api/dashboard", headers=admin_headers)).json()
    assert board["running_workspaces"] == {"8": 1, "9": 0, "10": 0}

    files = await api.get(f"/api/workspaces/{workspace}/files", headers=admin_headers)
    assert {(f["path"], f["is_dir"]) for f in files.json()} == {
        ("Program.cs", False),
        ("data", True),
        ("data/blob.bin", False),
    }
    program = await api.get(
        f"/api/workspaces/{workspace}/file", params={"path": "Program.cs"}, headers=admin_headers
    )
    assert program.json() == {"path": "Program.cs", "size": len(PROGRAM), "text": PROGRAM.decode()}
    blob = await api.get(
        f"/api/workspaces/{workspace}/file",
        params={"path": "/workspace/data/blob.bin"},
        headers=admin_headers,
    )
    assert (blob.json()["size"], blob.json()["text"]) == (3, None)

    outside = await api.get(
        f"/api/workspaces/{workspace}/file", params={"path": "../etc/passwd"}, headers=admin_headers
    )
    assert (outside.status_code, outside.json()["error"]["type"]) == (422, "invalid_path")
    missing = await api.get("/api/workspaces/dotnet8-webapi-000000", headers=admin_headers)
    assert (missing.status_code, missing.json()["error"]["type"]) == (404, "not_found")


async def test_an_admin_follows_a_process_log_until_the_process_ends(
    api: httpx.AsyncClient, admin_headers: dict[str, str], workspaces: WorkspaceService
) -> None:
    workspace = await a_workspace(workspaces)
    script = (
        "import time\nfor n in range(3):\n    print('line', n, flush=True)\n    time.sleep(0.2)"
    )
    await workspaces.run_background(CLIENT, workspace, "worker", ["-c", script])
    [process] = (await api.get(f"/api/workspaces/{workspace}", headers=admin_headers)).json()[
        "processes"
    ]
    assert (process["name"], process["kind"]) == ("worker", "background")
    stream = await api.get(
        f"/api/workspaces/{workspace}/processes/worker/log", headers=admin_headers
    )
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [block for block in stream.text.split("\n\n") if block]
    assert events[0] == ": following"
    assert events[1:] == [
        'event: line\ndata: "line 0"',
        'event: line\ndata: "line 1"',
        'event: line\ndata: "line 2"',
        'event: end\ndata: ""',
    ]
    unknown = await api.get(
        f"/api/workspaces/{workspace}/processes/nope/log", headers=admin_headers
    )
    assert (unknown.status_code, unknown.json()["error"]["type"]) == (404, "not_found")
    assert "its processes: worker" in unknown.json()["error"]["message"]


async def test_an_admin_stop_is_what_the_owner_is_told_and_cleanup_removes_the_rest(
    api: httpx.AsyncClient, admin_headers: dict[str, str], workspaces: WorkspaceService
) -> None:
    stopped, other = await a_workspace(workspaces), await a_workspace(workspaces, "console")
    answer = await api.post(f"/api/workspaces/{stopped}/stop", headers=admin_headers)
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["stop_reason"]) == ("stopped", "admin")
    with pytest.raises(WorkspaceError, match="was stopped by an admin at") as told:
        await workspaces.read_file(CLIENT, stopped, "Program.cs")
    assert told.value.kind == "workspace_stopped"
    files = await api.get(f"/api/workspaces/{stopped}/files", headers=admin_headers)
    assert (files.status_code, files.json()["error"]["type"]) == (409, "workspace_stopped")
    log = await api.get(f"/api/workspaces/{stopped}/processes/app/log", headers=admin_headers)
    assert (log.status_code, log.json()["error"]["type"]) == (409, "workspace_stopped")
    running = await api.get("/api/workspaces?status=running", headers=admin_headers)
    assert [view["id"] for view in running.json()] == [other]
    activity = await api.get(
        "/api/activity", params={"target_kind": "workspace"}, headers=admin_headers
    )
    assert any(entry["actor_name"] == "alice" for entry in activity.json()["items"])

    cleaned = await api.post("/api/workspaces/cleanup", headers=admin_headers)
    assert cleaned.json() == {"cleaned": 2}
    assert (await api.get("/api/workspaces", headers=admin_headers)).json() == []  # gone
    gone = await api.get(f"/api/workspaces/{other}", headers=admin_headers)
    assert (gone.json()["status"], gone.json()["stop_reason"]) == ("cleaned", "admin")


async def test_the_workspace_routes_refuse_a_caller_who_is_not_an_admin(
    api: httpx.AsyncClient, workspaces: WorkspaceService
) -> None:
    workspace = await a_workspace(workspaces)
    routes = [
        ("GET", "/api/workspaces"),
        ("GET", f"/api/workspaces/{workspace}"),
        ("GET", f"/api/workspaces/{workspace}/files"),
        ("GET", f"/api/workspaces/{workspace}/file?path=Program.cs"),
        ("GET", f"/api/workspaces/{workspace}/processes/worker/log"),
        ("POST", f"/api/workspaces/{workspace}/stop"),
        ("POST", "/api/workspaces/cleanup"),
    ]
    for method, path in routes:
        response = await api.request(method, path, headers={"Authorization": "Bearer forged"})
        assert (response.status_code, response.json()["error"]["type"]) == (401, "unauthorized")
    assert (await workspaces.detail(workspace)).status == "running"
