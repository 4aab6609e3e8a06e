"""The admin's journey in Chromium against a real `polybox serve`, with an LLM over MCP.

Setup, log out and in again; the LLM (official MCP client) forges a tool and asks to publish
it; the admin sees it waiting for approval. Every page visited is saved as a screenshot
(test-output/screenshots/).
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from browser.llm import PUBLIC_NAME, agent
from browser.server import Polybox
from browser.shots import Shots
from browser.ui import log_in, log_out, open_page, set_up_first_admin

pytestmark = pytest.mark.anyio


async def test_admin_sets_up_logs_in_and_sees_the_tool_an_llm_forged_waiting(
    page: Page, polybox: Polybox, shots: Shots
) -> None:
    await page.goto("/")
    await expect(page.get_by_role("button", name="Create admin")).to_be_visible()
    await shots.take(page, "setup")
    await set_up_first_admin(page)
    await log_out(page)
    await shots.take(page, "login")
    await log_in(page)
    approvals = page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals")
    await expect(approvals).to_have_text("Approvals")
    await shots.take(page, "dashboard-empty")

    async with agent(polybox.mcp_url) as llm:
        await llm.forge_weather_tool()
        assert PUBLIC_NAME not in await llm.tool_names()
        await page.reload()
        await expect(approvals).to_have_accessible_name("Approvals 1 pending")
        await open_page(page, "Approvals")
        await shots.take(page, "approvals")
