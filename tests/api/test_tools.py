"""/servers/{server}/tools: listing, details, enable/disable, versions, diffs and rollback."""

from __future__ import annotations

import httpx
import pytest

from api_setup import CODE_V1, CODE_V2, add_server, add_tool, change_code
from polybox.instance import Instance

pytestmark = pytest.mark.anyio
Headers = dict[str, str]
TOOLS = "/api/servers/weather/tools"


@pytest.fixture
async def weather(instance: Instance) -> None:
    """Server weather with tool `now` at versions 1 and 2, and a pending tool `week`."""
    await add_server(instance)
    await add_tool(instance, "weather", "now")
    await change_code(instance, "weather", "now", CODE_V2)
    await add_tool(instance, "weather", "week", publish=True)


@pytest.mark.usefixtures("weather")
async def test_tools_are_listed_filtered_by_status_and_sorted(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    listed = await api.get(TOOLS, params={"sort": "-name"}, headers=admin_headers)
    assert [t["name"] for t in listed.json()["items"]] == ["week", "now"]
    assert listed.json()["items"][0]["code"] is None  # lists leave code out
    pending = await api.get(TOOLS, params={"status": "pending_review"}, headers=admin_headers)
    assert [t["name"] for t in pending.json()["items"]] == ["week"]
    bad = await api.get(TOOLS, params={"sort": "code", "page": 0}, headers=admin_headers)
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"query.sort", "query.page"}


@pytest.mark.usefixtures("weather")
async def test_a_tool_comes_with_its_code_and_analysis(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    tool = (await api.get(f"{TOOLS}/now", headers=admin_headers)).json()
    assert (tool["code"], tool["current_version"], tool["public_name"]) == (
        CODE_V2,
        2,
        "weather__now",
    )
    assert tool["analysis"]["ok"] is True
    assert tool["input_schema"]["required"] == ["city"]


@pytest.mark.usefixtures("weather")
async def test_a_tool_is_disabled_and_enabled_again(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    disabled = await api.post(f"{TOOLS}/now/disable", headers=admin_headers)
    assert disabled.json()["enabled"] is False
    enabled = await api.post(f"{TOOLS}/now/enable", headers=admin_headers)
    assert enabled.json()["enabled"] is True


@pytest.mark.usefixtures("weather")
async def test_versions_are_listed_read_and_diffed(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    listed = (await api.get(f"{TOOLS}/now/versions", headers=admin_headers)).json()
    assert [(v["number"], v["is_current"]) for v in listed["items"]] == [(2, True), (1, False)]
    first = (await api.get(f"{TOOLS}/now/versions/1", headers=admin_headers)).json()
    assert first["code"] == CODE_V1
    assert '+    return {"a": 1}' in first["diff_against_current"]
    diff = await api.get(f"{TOOLS}/now/diff", params={"from": 1, "to": 2}, headers=admin_headers)
    assert diff.json()["diff"] == (
        "--- version 1\n+++ version 2\n@@ -1,3 +1,3 @@\n"
        ' async def main(city: str) -> dict:\n     """Weather for a city."""\n'
        '-    return {}\n+    return {"a": 1}\n'
    )


@pytest.mark.usefixtures("weather")
async def test_rollback_makes_a_new_version_with_the_old_code(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    rolled = await api.post(f"{TOOLS}/now/rollback", json={"version": 1}, headers=admin_headers)
    assert rolled.status_code == 200, rolled.text
    assert (rolled.json()["current_version"], rolled.json()["code"]) == (3, CODE_V1)
    versions = (await api.get(f"{TOOLS}/now/versions", headers=admin_headers)).json()
    assert versions["items"][0]["author"] == "rollback"
    same = await api.post(f"{TOOLS}/now/rollback", json={"version": 1}, headers=admin_headers)
    assert same.status_code == 409


@pytest.mark.usefixtures("weather")
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/servers/nope/tools", 404),
        (f"{TOOLS}/nope", 404),
        (f"{TOOLS}/nope/versions", 404),
        (f"{TOOLS}/now/versions/9", 404),
        (f"{TOOLS}/now/versions/0", 422),
        (f"{TOOLS}/now/diff?from=1&to=9", 404),
        (f"{TOOLS}/now/diff?from=1", 422),
        (f"{TOOLS}/now/versions?page_size=500", 422),
    ],
)
async def test_bad_ids_are_404_and_bad_numbers_422(
    api: httpx.AsyncClient, admin_headers: Headers, path: str, status: int
) -> None:
    response = await api.get(path, headers=admin_headers)
    assert response.status_code == status
    assert response.json()["error"]["type"] == ("not_found" if status == 404 else "invalid_input")


@pytest.mark.usefixtures("weather")
async def test_bad_rollback_bodies_and_unknown_tools_are_refused(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    bad = await api.post(f"{TOOLS}/now/rollback", json={"version": 0}, headers=admin_headers)
    assert [d["field"] for d in bad.json()["error"]["details"]] == ["body.version"]
    missing = await api.post(f"{TOOLS}/now/rollback", json={"version": 7}, headers=admin_headers)
    assert missing.status_code == 404
    unknown = await api.post(f"{TOOLS}/nope/disable", headers=admin_headers)
    assert unknown.status_code == 404
    anonymous = await api.post(f"{TOOLS}/now/disable")
    assert anonymous.status_code == 401
