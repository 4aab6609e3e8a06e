"""The admin approves a forged tool and sets its secret, stops an LLM's .NET workspace and reads a
C# snippet run, with the keyboard alone.

No mouse event is sent: focus moves with Tab and Shift+Tab, links and buttons are activated with
Enter or Space, tabs change with the arrow keys. So every control on the way must be reachable
and operable from the keyboard, and each one shows where the focus is (`tab_to` checks that the
focused element draws an outline or a box shadow).
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from browser.dotnet import (
    create_workspace,
    open_workspace,
    run_snippet,
    stop_with_the_keyboard,
)
from browser.llm import SECRET_KEY, SERVER, TOOL, agent
from browser.server import Polybox
from browser.shots import Shots
from browser.ui import (
    expect_focus_visible,
    first_admin_through_api,
    log_in_with_the_keyboard,
    page_titled,
    tab_to,
)
from dotnet_snippets import PREPARE_TIMEOUT

pytestmark = pytest.mark.anyio


async def follow_nav_link(page: Page, name: str) -> None:
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name)
    await tab_to(page, link)
    await page.keyboard.press("Enter")
    await page_titled(page, name)


@pytest.mark.timeout(300)
async def test_admin_approves_a_tool_and_sets_its_secret_without_the_mouse(
    page: Page, polybox: Polybox, shots: Shots
) -> None:
    await first_admin_through_api(polybox.url)
    async with agent(polybox.mcp_url) as llm:
        await llm.forge_weather_tool()
        await page.goto("/")
        await log_in_with_the_keyboard(page)

        await follow_nav_link(page, "Approvals")
        review = page.get_by_role("region", name=f"{SERVER} / {TOOL}")
        approve = review.get_by_role("button", name="Approve")
        await tab_to(page, approve)
        await shots.take(page, "approvals-keyboard")
        await page.keyboard.press("Space")
        await expect(review).to_be_hidden()
        await llm.wait_until_listed(True)
        assert (await llm.weather())["has_key"] is False

        await follow_nav_link(page, "Servers")
        await tab_to(page, page.get_by_role("link", name=SERVER, exact=True))
        await page.keyboard.press("Enter")
        await page_titled(page, SERVER)
        tools_tab = page.get_by_role("tab", name="Tools")
        await tab_to(page, tools_tab)
        await page.keyboard.press("ArrowRight")
        secrets_tab = page.get_by_role("tab", name="Secrets")
        await expect(secrets_tab).to_have_attribute("aria-selected", "true")
        await expect_focus_visible(secrets_tab)
        await expect(page).to_have_url(re.compile(rf"/servers/{SERVER}/secrets$"))

        secret = page.get_by_role("row", name=re.compile(SECRET_KEY))
        await tab_to(page, secret.get_by_label(f"Value for {SECRET_KEY}"))
        await page.keyboard.type("typed-not-clicked")
        await page.keyboard.press("Enter")
        await expect(secret.get_by_text("set", exact=True)).to_be_visible()
        assert (await llm.weather())["has_key"] is True
        await shots.take(page, "secrets-keyboard")

        await tab_to(page, secrets_tab, backwards=True)
        await page.keyboard.press("ArrowLeft")
        await expect(tools_tab).to_have_attribute("aria-selected", "true")
        await page.keyboard.press("End")
        settings_tab = page.get_by_role("tab", name="Settings")
        await expect(settings_tab).to_have_attribute("aria-selected", "true")
        await page.keyboard.press("ArrowLeft")
        logs_tab = page.get_by_role("tab", name="Logs")
        await expect(logs_tab).to_have_attribute("aria-selected", "true")
        await expect_focus_visible(logs_tab)
        logs = page.get_by_role("table", name=f"Execution logs of {SERVER}")
        await expect(logs.get_by_role("row", name=re.compile(rf"{TOOL} ok"))).to_have_count(2)


class TestDotnetPages:
    """The .NET pages, on a polybox serving the prepared .NET data dir."""

    @pytest.fixture
    def polybox(self, dotnet_polybox: Polybox) -> Polybox:
        return dotnet_polybox

    @pytest.mark.timeout(PREPARE_TIMEOUT)
    async def test_admin_stops_a_workspace_and_reads_a_snippet_run_without_the_mouse(
        self, page: Page, polybox: Polybox, shots: Shots
    ) -> None:
        await first_admin_through_api(polybox.url)
        async with agent(polybox.mcp_url) as llm:
            await run_snippet(llm)
            workspace_id = await create_workspace(llm, "console")
        await page.goto("/")
        await log_in_with_the_keyboard(page)

        await follow_nav_link(page, "Workspaces")
        await open_workspace(page, workspace_id)
        await stop_with_the_keyboard(page, workspace_id, shots)

        await follow_nav_link(page, "Snippet runs")
        run = page.get_by_role("link", name=re.compile(r"^Run \d+$"))
        await tab_to(page, run)
        title = f"Snippet run {(await run.inner_text()).split()[-1]}"
        await page.keyboard.press("Enter")
        await page_titled(page, title)
        code = page.get_by_role("region", name=f"Code of {title.lower()}")
        await tab_to(page, code)
        await expect(code).to_contain_text("Console.WriteLine")
        await shots.take(page, "snippet-run-keyboard")

        await follow_nav_link(page, "Settings")
        await change_and_reset_a_dotnet_setting(page, shots)


async def change_and_reset_a_dotnet_setting(page: Page, shots: Shots) -> None:
    """Settings → .NET by the arrow keys; a cap typed, saved, shown as changed here, then reset."""
    await tab_to(page, page.get_by_role("tab", name="Security policy"))
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_role("tab", name=".NET")).to_have_attribute("aria-selected", "true")
    caps = page.get_by_role("form", name="Workspaces per client")
    running = caps.get_by_role("spinbutton", name="Running at once")
    await tab_to(page, running)
    await page.keyboard.press("Control+A")
    await page.keyboard.type("3")
    await tab_to(page, caps.get_by_role("button", name="Save"))
    await page.keyboard.press("Enter")
    await expect(caps.get_by_role("status")).to_have_text(
        "Saved: Running at once. The next call uses the new values."
    )
    await expect(caps.get_by_text("startup value: 5")).to_be_visible()
    await shots.take(page, "settings-dotnet-keyboard")
    await page.reload()
    await expect(running).to_have_value("3")

    await tab_to(
        page, caps.get_by_role("button", name="Reset Running at once to its startup value")
    )
    await page.keyboard.press("Enter")
    await expect(caps.get_by_role("status")).to_have_text(
        "Running at once is back to its startup value, 5."
    )
    await expect(running).to_have_value("5")
    await expect_focus_visible(running)
