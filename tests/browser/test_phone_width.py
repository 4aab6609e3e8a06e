"""The admin UI at a phone's width (390 x 844): the menu navigates, nothing scrolls sideways.

An LLM has forged a tool first, so the pages show real content: Approvals its diff next to
Approve, Server detail every tab and the tool's code and version history, every Settings tab.
(The pages of a live .NET workspace are checked at this width in test_workspaces_journey.py.)
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from browser.llm import SERVER, TOOL, agent
from browser.pages import OpenPage
from browser.phone import PHONE, expect_no_sideways_scroll, overflow_px
from browser.server import Polybox
from browser.shots import Shots
from browser.ui import first_admin_through_api, log_in, page_titled

pytestmark = pytest.mark.anyio

MAIN_PAGES = [
    "Servers",
    "Workspaces",
    "Snippet runs",
    "Approvals",
    "Activity",
    "Settings",
    "Connect",
    "Dashboard",
]
SERVER_TABS = ["Secrets", "Network & Modules", "Logs", "Settings", "Tools"]
SETTINGS_TABS = [".NET", "API tokens", "Admins", "Your account"]


@pytest.mark.timeout(300)
async def test_every_main_page_and_server_tab_fits_a_phone_and_the_menu_navigates(
    open_page: OpenPage, polybox: Polybox, shots: Shots
) -> None:
    await first_admin_through_api(polybox.url)
    async with agent(polybox.mcp_url) as llm:
        await llm.forge_weather_tool()
    page = await open_page(viewport=PHONE, is_mobile=True)
    await page.goto("/login")
    assert await overflow_px(page) == 0
    await log_in(page)
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    await expect(nav.get_by_role("link", name="Servers")).to_be_hidden()
    for name in MAIN_PAGES:
        await menu.click()
        await expect(menu).to_have_attribute("aria-expanded", "true")
        await nav.get_by_role("link", name=name).click()
        await page_titled(page, name)
        await expect(menu).to_have_attribute("aria-expanded", "false")
        await expect(nav.get_by_role("link", name=name)).to_be_hidden()
        if name == "Approvals":
            review = page.get_by_role("region", name=f"{SERVER} / {TOOL}")
            await expect(review.get_by_role("button", name="Approve")).to_be_visible()
        await expect_no_sideways_scroll(page, name)
        await shots.take(page, f"phone-{name.lower().replace(' ', '-')}")

    await page.goto(f"/servers/{SERVER}/tools?tool={TOOL}")
    await page_titled(page, SERVER)
    await expect(page.get_by_role("table", name=f"Versions of {TOOL}")).to_be_visible()
    await expect(page.get_by_role("region", name="Changes from v1 to v2")).to_be_visible()
    await expect_no_sideways_scroll(page, "the tool's detail")
    await shots.take(page, "phone-server-tool")
    for tab in SERVER_TABS:
        await page.get_by_role("tab", name=tab).click()
        await expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        await expect(page.get_by_role("tabpanel", name=tab)).to_be_visible()
        await expect_no_sideways_scroll(page, f"the server's {tab} tab")
        await shots.take(page, f"phone-server-{tab.split()[0].lower()}")

    await page.goto("/settings")
    await page_titled(page, "Settings")
    for tab in SETTINGS_TABS:
        await page.get_by_role("tab", name=tab).click()
        await expect(page.get_by_role("tabpanel", name=tab)).to_be_visible()
        await expect_no_sideways_scroll(page, f"the Settings {tab} tab")
        await shots.take(page, f"phone-settings-{tab.split()[0].lower().strip('.')}")
