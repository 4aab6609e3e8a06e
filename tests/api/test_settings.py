"""/settings: read and change settings, every bad field reported; the three profiles."""

from __future__ import annotations

import httpx
import pytest

from polybox.api.schemas import SettingsPatch
from polybox.forge.settings import ForgeSettings

pytestmark = pytest.mark.anyio
Headers = dict[str, str]


def test_the_patch_body_offers_every_setting() -> None:
    assert set(SettingsPatch.model_fields) == set(ForgeSettings.model_fields)


async def test_settings_are_read_and_changed(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    current = (await api.get("/api/settings", headers=admin_headers)).json()
    assert current == ForgeSettings().model_dump()
    changed = await api.patch(
        "/api/settings",
        json={"log_retention_days": 7, "allowed_modules": ["yaml", "json", "yaml"]},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["log_retention_days"], changed.json()["allowed_modules"]) == (
        7,
        ["json", "yaml"],
    )
    assert (await api.get("/api/settings", headers=admin_headers)).json() == changed.json()


async def test_every_bad_setting_is_listed_and_nothing_changes(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    response = await api.patch(
        "/api/settings",
        json={
            "tool_approval_mode": "sometimes",
            "log_retention_days": 0,
            "private_hosts": ["ok.internal", "bad host"],
            "colour": "red",
        },
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["error"]["details"]} == {
        "body.tool_approval_mode",
        "body.log_retention_days",
        "body.private_hosts.1",
        "body.colour",
    }
    assert (await api.get("/api/settings", headers=admin_headers)).json()[
        "log_retention_days"
    ] == 30


async def test_profiles_are_listed_with_values_and_applied(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    profiles = (await api.get("/api/settings/profiles", headers=admin_headers)).json()
    assert [(p["name"], p["active"]) for p in profiles] == [
        ("strict", False),
        ("balanced", True),
        ("permissive", False),
    ]
    assert profiles[0]["settings"]["remote_tool_editing"] == "none"
    applied = await api.post("/api/settings/profile/permissive", headers=admin_headers)
    assert applied.json()["tool_approval_mode"] == "auto_approve"
    assert applied.json()["network_access_policy"] == "allow_all_public"
    after = (await api.get("/api/settings/profiles", headers=admin_headers)).json()
    assert [p["name"] for p in after if p["active"]] == ["permissive"]
    unknown = await api.post("/api/settings/profile/lax", headers=admin_headers)
    assert unknown.status_code == 404
    assert "strict, balanced, permissive" in unknown.json()["error"]["message"]


async def test_settings_need_an_admin(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/settings")).status_code == 401
    assert (await api.patch("/api/settings", json={})).status_code == 401
    assert (await api.post("/api/settings/profile/strict")).status_code == 401
