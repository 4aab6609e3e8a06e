"""/approvals: the queues, tool decisions, request decisions and bulk decisions."""

from __future__ import annotations

import httpx
import pytest

from api_setup import (
    CODE_V2,
    add_server,
    add_tool,
    ask_for_host,
    ask_for_module,
    change_code,
    publish,
)
from polybox.instance import Instance

pytestmark = pytest.mark.anyio
Headers = dict[str, str]
NOW = "/api/approvals/tools/weather/now"


@pytest.fixture
async def pending(instance: Instance) -> None:
    """Server weather with `now` pending review and `draft` a draft."""
    await add_server(instance)
    await add_tool(instance, "weather", "now", publish=True)
    await add_tool(instance, "weather", "draft")


@pytest.mark.usefixtures("pending")
async def test_approve_revoke_and_the_queue_shows_the_diff_since_the_last_approval(
    api: httpx.AsyncClient, admin_headers: Headers, instance: Instance
) -> None:
    queue = (await api.get("/api/approvals/tools", headers=admin_headers)).json()
    assert [(i["tool"]["name"], i["base_version"]) for i in queue["items"]] == [("now", None)]
    approved = await api.post(f"{NOW}/approve", json={"note": "fine"}, headers=admin_headers)
    assert (approved.json()["status"], approved.json()["approved_version"]) == ("approved", 1)
    assert (await api.get("/api/approvals/tools", headers=admin_headers)).json()["total"] == 0
    await change_code(instance, "weather", "now", CODE_V2)
    await publish(instance, "weather", "now")
    queue = (await api.get("/api/approvals/tools", headers=admin_headers)).json()
    item = queue["items"][0]
    assert (item["base_version"], item["tool"]["current_version"]) == (1, 2)
    assert '-    return {}\n+    return {"a": 1}\n' in item["diff"]
    await api.post(f"{NOW}/approve", json={}, headers=admin_headers)
    revoked = await api.post(f"{NOW}/revoke", json={"note": "leaks"}, headers=admin_headers)
    assert (revoked.json()["status"], revoked.json()["approved_version"]) == (
        "pending_review",
        None,
    )
    requeued = (await api.get("/api/approvals/tools", headers=admin_headers)).json()
    assert (requeued["items"][0]["base_version"], requeued["items"][0]["diff"]) == (2, "")


@pytest.mark.usefixtures("pending")
async def test_reject_needs_a_reason_and_only_pending_tools_are_decided(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    no_reason = await api.post(f"{NOW}/reject", json={}, headers=admin_headers)
    assert [d["field"] for d in no_reason.json()["error"]["details"]] == ["body.reason"]
    rejected = await api.post(f"{NOW}/reject", json={"reason": "use https"}, headers=admin_headers)
    assert (rejected.json()["status"], rejected.json()["review_note"]) == ("rejected", "use https")
    again = await api.post(f"{NOW}/approve", json={}, headers=admin_headers)
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "conflict"
    draft = await api.post(
        "/api/approvals/tools/weather/draft/approve", json={}, headers=admin_headers
    )
    assert draft.status_code == 409
    revoke = await api.post(
        "/api/approvals/tools/weather/draft/revoke", json={}, headers=admin_headers
    )
    assert revoke.status_code == 409
    missing = await api.post(
        "/api/approvals/tools/weather/nope/approve", json={}, headers=admin_headers
    )
    assert missing.status_code == 404


@pytest.mark.usefixtures("pending")
async def test_module_and_network_requests_are_queued_and_decided(
    api: httpx.AsyncClient, admin_headers: Headers, instance: Instance
) -> None:
    module_id = await ask_for_module(instance, "weather", "yaml")
    host_id = await ask_for_host(instance, "weather", "api.example.com")
    modules = (await api.get("/api/approvals/modules", headers=admin_headers)).json()
    assert [(r["id"], r["module"]) for r in modules["items"]] == [(module_id, "yaml")]
    network = (await api.get("/api/approvals/network", headers=admin_headers)).json()
    assert [(r["id"], r["host"]) for r in network["items"]] == [(host_id, "api.example.com")]
    granted = await api.post(
        f"/api/approvals/module/{module_id}/decide", json={"approve": True}, headers=admin_headers
    )
    assert granted.json()["status"] == "installing"  # approved to the LLM once it imports
    server = (await api.get("/api/servers/weather", headers=admin_headers)).json()
    assert server["allowed_modules"] == ["yaml"]
    installs = (await api.get("/api/approvals/modules/installs", headers=admin_headers)).json()
    assert [(r["module"], r["package"], r["status"]) for r in installs["items"]] == [
        ("yaml", "yaml", "installing")
    ]
    retry = await api.post(
        f"/api/approvals/module/{module_id}/install", json={}, headers=admin_headers
    )
    assert retry.status_code == 409
    assert "only a failed install is retried" in retry.text
    package_for_a_host = await api.post(
        f"/api/approvals/network/{host_id}/decide",
        json={"approve": True, "package": "yaml"},
        headers=admin_headers,
    )
    assert package_for_a_host.status_code == 422
    assert "only an approved module request installs a package" in package_for_a_host.text
    refused = await api.post(
        f"/api/approvals/network/{host_id}/decide",
        json={"approve": False, "note": "not needed"},
        headers=admin_headers,
    )
    assert (refused.json()["status"], refused.json()["decision_note"]) == ("rejected", "not needed")
    twice = await api.post(
        f"/api/approvals/network/{host_id}/decide", json={"approve": True}, headers=admin_headers
    )
    assert twice.status_code == 409
    unknown = await api.post(
        "/api/approvals/module/999/decide", json={"approve": True}, headers=admin_headers
    )
    assert unknown.status_code == 404
    bad_kind = await api.post(
        "/api/approvals/tool/1/decide", json={"approve": True}, headers=admin_headers
    )
    assert bad_kind.status_code == 422


@pytest.mark.usefixtures("pending")
async def test_bulk_decisions_report_each_item(
    api: httpx.AsyncClient, admin_headers: Headers, instance: Instance
) -> None:
    module_id = await ask_for_module(instance, "weather", "yaml")
    items = [
        {"kind": "tool", "server": "weather", "tool": "now", "action": "approve"},
        {"kind": "tool", "server": "weather", "tool": "draft", "action": "approve"},
        {"kind": "module", "id": module_id, "action": "reject", "note": "no"},
        {"kind": "network", "id": 999, "action": "approve"},
    ]
    response = await api.post("/api/approvals/bulk", json={"items": items}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert [(r["index"], r["ok"], r["status"], r["error_type"]) for r in response.json()] == [
        (0, True, "approved", None),
        (1, False, None, "conflict"),
        (2, True, "rejected", None),
        (3, False, None, "not_found"),
    ]
    tool = (await api.get("/api/servers/weather/tools/now", headers=admin_headers)).json()
    assert tool["status"] == "approved"


async def test_malformed_bulk_items_are_422_naming_the_item(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    items = [
        {"kind": "tool", "server": "weather", "tool": "now", "action": "approve"},
        {"kind": "tool", "id": 3, "action": "approve"},
        {"kind": "network", "id": 1, "action": "reject"},
    ]
    response = await api.post("/api/approvals/bulk", json={"items": items}, headers=admin_headers)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == [
        "body.items.1",
        "body.items.2",
    ]
    empty = await api.post("/api/approvals/bulk", json={"items": []}, headers=admin_headers)
    assert empty.status_code == 422


async def test_the_queues_need_an_admin_and_refuse_bad_pages(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    for path in ("/api/approvals/tools", "/api/approvals/modules", "/api/approvals/network"):
        assert (await api.get(path)).status_code == 401
        bad = await api.get(path, params={"page_size": 1000}, headers=admin_headers)
        assert bad.status_code == 422
