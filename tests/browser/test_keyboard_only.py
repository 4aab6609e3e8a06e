"""The admin logs in and approves a forged tool with the keyboard alone (Tab, Enter, Space).

No mouse event is sent: focus moves with Tab, links and buttons are activated with Enter or
Space, so every control on the way must be reachable and operable from the keyboard.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from browser.llm import agent
from browser.server import Polybox
from browser.shots import Shots
from browser.ui import ADMIN, PASSWORD, first_admin_through_api, page_titled, tab_to

pytestmark = pytest.mark.anyio


async def test_admin_logs_in_and_approves_a_tool_without_the_mouse(
    page: Page, polybox: Polybox, shots: Shots
) -> None:
    await first_admin_through_api(polybox.url)
    async with agent(polybox.mcp_url) as llm:
        await llm.forge_weather_tool()
        await page.goto("/")
        await tab_to(page, page.get_by_label("Username"))
        await page.keyboard.type(ADMIN)
        await page.keyboard.press("Tab")
        await expect(page.get_by_label("Password")).to_be_focused()
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await page_titled(page, "Dashboard")

        approvals = page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Approvals"
        )
        await tab_to(page, approvals)
        await page.keyboard.press("Enter")
        await page_titled(page, "Approvals")
        await shots.take(page, "approvals-keyboard")
