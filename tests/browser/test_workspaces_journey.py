"""The admin watches and stops an LLM's .NET workspace, in Chromium against a real `polybox serve`.

The LLM (official MCP client) runs a C# snippet and hosts a web API on .NET 8, on the real
runtimes and the real bwrap sandbox. The admin, whose Workspaces page is open, sees the
workspace appear without reloading; opens it: its hosted API among the processes, its
Program.cs highlighted, its log tail live; sees the snippet in Activity and opens its run page
(its code highlighted as C#) from there, then finds it from the Dashboard's snippet card; stops
the workspace with the keyboard alone (Tab, Enter, no mouse); and the LLM's next call to it
answers that an admin stopped it. The same pages are then checked at a phone's width.
Screenshots of each page go to test-output/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Locator, Page, expect

from browser.dotnet import (
    host_web_api,
    open_workspace,
    run_snippet,
    stop_with_the_keyboard,
    stopped_error,
)
from browser.llm import agent
from browser.pages import OpenPage
from browser.phone import PHONE, expect_no_sideways_scroll
from browser.server import Polybox
from browser.shots import Shots
from browser.ui import first_admin_through_api, log_in, page_titled
from browser.ui import open_page as open_page_named
from dotnet_snippets import PREPARE_TIMEOUT

pytestmark = pytest.mark.anyio


async def look_inside(page: Page, workspace_id: str, shots: Shots) -> None:
    """The hosted API among the processes, Program.cs highlighted, the log tail live."""
    processes = page.get_by_role("table", name=f"Processes of {workspace_id}")
    await expect(
        processes.get_by_role("row", name=re.compile("hosted API running"))
    ).to_be_visible()
    await page.get_by_role("button", name="Program.cs", exact=True).click()
    code = page.get_by_role("region", name="Contents of Program.cs")
    await expect(code).to_contain_text("MapGet")
    await expect(code.locator(".token.keyword").first).to_be_visible()
    log = page.get_by_role("region", name=re.compile("^Log of "))
    await expect(log).to_contain_text("Now listening on")
    await expect(page.get_by_text("Live: new lines appear as they are written")).to_be_visible()
    await shots.take(page, "workspace")


async def open_snippet_run(page: Page, activity: Locator, shots: Shots) -> str:
    """From the snippet's Activity row to its run page: the run, its code highlighted as C#.
    The run's id."""
    link = activity.get_by_role("link", name=re.compile(r"^snippet run \d+$"))
    run_id = (await link.inner_text()).rsplit(maxsplit=1)[-1]
    await link.click()
    await page_titled(page, f"Snippet run {run_id}")
    await expect(page.get_by_role("region", name="Summary")).to_contain_text("Outcomeok")
    code = page.get_by_role("region", name=f"Code of snippet run {run_id}")
    await expect(code).to_contain_text("Console.WriteLine")
    await expect(code.locator(".token.interpolation-string").first).to_be_visible()
    await shots.take(page, "snippet-run")
    return run_id


async def check_phone_width(
    open_new: OpenPage, workspace_id: str, run_id: str, shots: Shots
) -> None:
    """Workspaces, the (stopped) workspace, a snippet run and Settings → .NET fit 390 px: tables
    become cards."""
    phone = await open_new(viewport=PHONE, is_mobile=True)
    await phone.goto("/login")
    await log_in(phone)
    for path, title, name in [
        ("/workspaces", "Workspaces", "phone-workspaces"),
        (f"/workspaces/{workspace_id}", workspace_id, "phone-workspace"),
        (f"/dotnet/snippets/{run_id}", f"Snippet run {run_id}", "phone-snippet-run"),
        ("/settings/dotnet", "Settings", "phone-settings-dotnet"),
    ]:
        await phone.goto(path)
        await page_titled(phone, title)
        await expect(
            phone.get_by_role("status").filter(has_text=re.compile("Loading"))
        ).to_have_count(0)
        await expect_no_sideways_scroll(phone, title)
        await shots.take(phone, name)


@pytest.fixture
def polybox(dotnet_polybox: Polybox) -> Polybox:
    """This module's server (replacing conftest's): on the prepared .NET data dir."""
    return dotnet_polybox


@pytest.mark.timeout(PREPARE_TIMEOUT)
async def test_admin_watches_and_stops_an_llm_workspace(
    page: Page, open_page: OpenPage, polybox: Polybox, shots: Shots
) -> None:
    await first_admin_through_api(polybox.url)
    await page.goto("/login")
    await log_in(page)
    await open_page_named(page, "Workspaces")
    await expect(page.get_by_text("No workspaces yet")).to_be_visible()
    await expect(page.get_by_text(re.compile("^Live: new workspaces appear"))).to_be_visible()

    async with agent(polybox.mcp_url) as llm:
        await run_snippet(llm)
        workspace_id = await host_web_api(llm)

        # The page was not reloaded: the workspace appears through the live feed.
        row = page.get_by_role("row", name=re.compile(re.escape(workspace_id)))
        await expect(row).to_contain_text("running")
        await expect(row).to_contain_text("webapi")
        await shots.take(page, "workspaces")
        await open_workspace(page, workspace_id)
        await look_inside(page, workspace_id, shots)

        await open_page_named(page, "Activity")
        activity = page.get_by_role("table", name="Activity, newest first")
        await expect(
            activity.get_by_role("row", name=re.compile("snippet", re.I)).first
        ).to_be_visible()
        await expect(
            activity.get_by_role("row", name=re.compile(re.escape(workspace_id))).first
        ).to_be_visible()
        await shots.take(page, "activity")
        run_id = await open_snippet_run(page, activity, shots)
        await open_page_named(page, "Dashboard")
        counts = page.get_by_role("region", name=".NET counts")
        await expect(counts).to_contain_text("1Running workspaces")
        await expect(counts).to_contain_text(re.compile(r"[1-9]\d*C# snippet runs"))
        await shots.take(page, "dashboard")
        await counts.get_by_role("link", name="See snippet runs").click()
        await page_titled(page, "Snippet runs")
        runs = page.get_by_role("table", name="Snippet runs, newest first")
        await expect(runs.get_by_role("row", name=re.compile(r"\bok\b"))).to_have_count(1)
        await shots.take(page, "snippet-runs")

        await open_page_named(page, "Workspaces")
        await open_workspace(page, workspace_id)
        await stop_with_the_keyboard(page, workspace_id, shots)
        assert "stopped by an admin" in await stopped_error(llm, workspace_id)

    await open_page_named(page, "Settings")
    await page.get_by_role("tab", name=".NET").click()
    await expect(page.get_by_role("table", name=".NET versions")).to_contain_text(".NET 8")
    await shots.take(page, "settings-dotnet")
    await check_phone_width(open_page, workspace_id, run_id, shots)
