"""The admin's whole journey in Chromium against a real `polybox serve`, with an LLM over MCP.

Setup, log out and in again; the LLM (official MCP client) forges a tool and asks to publish it;
the admin reviews its diff in Approvals and approves it, and the LLM can call it. The admin sets
the secret it reads (the value is never shown back) and the call result changes; the calls show
in the server's Logs and on the Dashboard. The admin revokes the approval (the tool leaves the
LLM's tools/list, announced by list_changed), rolls back to version 1 and, once the LLM asked
again, approves the rolled-back code after reviewing the changed line; the LLM then runs
version 1. Every main page is saved as a screenshot (test-output/screenshots/).
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Locator, Page, expect

from browser.llm import PUBLIC_NAME, SECRET_KEY, SERVER, TOOL, Agent, agent
from browser.server import Polybox
from browser.shots import Shots
from browser.ui import log_in, log_out, open_page, page_titled, set_up_first_admin

pytestmark = pytest.mark.anyio

SECRET_VALUE = "s3cret-never-shown"


def diff_cell(diff: Locator, change: str, text: str) -> Locator:
    """A line of a side-by-side diff that was `change`d ("added" or "removed") and holds `text`."""
    return diff.get_by_role("cell", name=re.compile(rf"^{change}: .*{re.escape(text)}"))


def tool_review(page: Page) -> Locator:
    """The forged tool's panel in the Approvals tools queue."""
    return page.get_by_role("region", name=f"{SERVER} / {TOOL}")


async def open_server_tab(page: Page, tab: str) -> None:
    await page.get_by_role("tab", name=tab).click()
    await expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")


async def open_tool(page: Page) -> Locator:
    """Servers -> the forged tool's server -> Tools -> the tool; its detail card."""
    await open_page(page, "Servers")
    await page.get_by_role("link", name=SERVER, exact=True).click()
    await page_titled(page, SERVER)
    await open_server_tab(page, "Tools")
    await page.get_by_role("button", name=TOOL, exact=True).click()
    detail = page.get_by_role("article", name=TOOL)
    await expect(detail).to_be_visible()
    return detail


async def review_and_approve_first_version(page: Page, llm: Agent, shots: Shots) -> None:
    """The tool never approved: its whole code is new, the line saying version 2 among it."""
    await open_page(page, "Approvals")
    review = tool_review(page)
    await expect(review.get_by_text("requested by LLM")).to_be_visible()
    diff = review.get_by_role("region", name=re.compile("^Changes from Nothing approved yet"))
    await expect(diff_cell(diff, "added", '"version": 2')).to_be_visible()
    await expect(diff_cell(diff, "removed", "")).to_have_count(0)
    await shots.take(page, "approvals")
    await review.get_by_role("button", name="Approve").click()
    await expect(review).to_be_hidden()
    await expect(page.get_by_text("No tools waiting for review")).to_be_visible()
    await llm.wait_until_listed(True)
    assert await llm.weather() == {"city": "Oslo", "version": 2, "has_key": False}


async def set_the_secret(page: Page, llm: Agent, shots: Shots) -> None:
    """The value goes in, is never shown back (not even after a reload), and the tool sees it."""
    await open_page(page, "Servers")
    await expect(page.get_by_role("link", name=SERVER, exact=True)).to_be_visible()
    await shots.take(page, "servers")
    await page.get_by_role("link", name=SERVER, exact=True).click()
    await page_titled(page, SERVER)
    await shots.take(page, "server-tools")
    await open_server_tab(page, "Secrets")
    secret = page.get_by_role("table", name=f"Secrets of {SERVER}").get_by_role(
        "row", name=re.compile(SECRET_KEY)
    )
    await expect(secret.get_by_text("not set", exact=True)).to_be_visible()
    value = secret.get_by_label(f"Value for {SECRET_KEY}")
    await value.fill(SECRET_VALUE)
    await secret.get_by_role("button", name="Set value").click()
    await expect(secret.get_by_text("set", exact=True)).to_be_visible()
    await expect(value).to_have_value("")
    await expect(secret.get_by_role("button", name="Replace value")).to_be_visible()
    await page.reload()
    await expect(secret.get_by_text("set", exact=True)).to_be_visible()
    assert SECRET_VALUE not in await page.content()
    await shots.take(page, "server-secrets")
    assert await llm.weather() == {"city": "Oslo", "version": 2, "has_key": True}


async def see_the_calls(page: Page, shots: Shots) -> None:
    """Both calls in the server's Logs (the last with the secret seen), then on the Dashboard."""
    await open_server_tab(page, "Network & Modules")
    await expect(page.get_by_role("heading", name="Allowed hosts")).to_be_visible()
    await shots.take(page, "server-network")
    await open_server_tab(page, "Logs")
    logs = page.get_by_role("table", name=f"Execution logs of {SERVER}")
    calls = logs.get_by_role("row", name=re.compile(rf"{TOOL} ok"))
    await expect(calls).to_have_count(2)
    await calls.first.get_by_role("button", name=re.compile("^Details")).click()
    result = page.get_by_role("region", name="Result")
    await expect(result).to_contain_text('"has_key": true')
    await shots.take(page, "server-logs")
    await open_server_tab(page, "Settings")
    await expect(page.get_by_role("button", name="Stop server")).to_be_visible()  # in the header
    await shots.take(page, "server-settings")

    await open_page(page, "Dashboard")
    chart = page.get_by_role("img", name=re.compile(r"per hour .*: 2 calls, 0 errors$"))
    await expect(chart).to_be_visible()
    slowest = page.get_by_role("table", name="Slowest tools")
    await expect(slowest.get_by_role("row", name=f"{PUBLIC_NAME} 2 0", exact=False)).to_be_visible()
    await shots.take(page, "dashboard")


async def revoke_and_roll_back(page: Page, llm: Agent, shots: Shots) -> None:
    """Revoke in the tool's view (it leaves tools/list), then roll back to version 1 (confirmed)."""
    detail = await open_tool(page)
    await detail.get_by_role("button", name="Revoke approval").click()
    confirm = page.get_by_role("alertdialog", name=f"Revoke approval of {TOOL}?")
    await confirm.get_by_role("button", name="Revoke").click()
    await expect(confirm).to_be_hidden()
    await llm.wait_until_listed(False)
    await expect(detail.get_by_text("pending review", exact=True).first).to_be_visible()

    await detail.get_by_role("button", name="Roll back to version 1").click()
    confirm = page.get_by_role("alertdialog", name=f"Roll back {TOOL} to version 1?")
    await confirm.get_by_role("button", name="Roll back").click()
    await expect(confirm).to_be_hidden()
    await expect(detail.get_by_role("heading", name="Code (v3)")).to_be_visible()
    await expect(detail.get_by_role("region", name=f"Code of {TOOL}")).to_contain_text(
        '"version": 1'
    )
    versions = detail.get_by_role("table", name=f"Versions of {TOOL}")
    await expect(
        versions.get_by_role("row", name=re.compile(r"^v3 current rollback"))
    ).to_be_visible()
    await shots.take(page, "tool-versions")
    assert PUBLIC_NAME not in await llm.tool_names()


async def approve_the_rollback(page: Page, llm: Agent, shots: Shots) -> None:
    """An admin's rollback waits in Approvals at once; the diff against v2 shows the one line."""
    await open_page(page, "Approvals")
    review = tool_review(page)
    await expect(review.get_by_text("rolled back by admin")).to_be_visible()
    diff = review.get_by_role("region", name="Changes from v2 (approved) to v3 (to review)")
    await expect(diff_cell(diff, "removed", '"version": 2')).to_be_visible()
    await expect(diff_cell(diff, "added", '"version": 1')).to_be_visible()
    await expect(diff_cell(diff, "added", "")).to_have_count(1)
    await shots.take(page, "approvals-rollback")
    await review.get_by_role("button", name="Approve").click()
    await expect(review).to_be_hidden()
    await llm.wait_until_listed(True)
    assert await llm.weather() == {"city": "Oslo", "version": 1, "has_key": True}


async def visit_the_other_pages(page: Page, shots: Shots) -> None:
    await open_page(page, "Activity")
    activity = page.get_by_role("table", name="Activity, newest first")
    await expect(activity.get_by_text("tool.rolled_back", exact=True)).to_be_visible()
    await shots.take(page, "activity")
    await open_page(page, "Settings")
    await expect(page.get_by_role("tab", name="Security policy")).to_be_visible()
    await shots.take(page, "settings")
    await open_page(page, "Connect")
    await expect(page.get_by_role("button", name="Copy MCP endpoint URL")).to_be_visible()
    await shots.take(page, "connect")


@pytest.mark.timeout(300)
async def test_admin_governs_an_llm_forged_tool_from_setup_to_rollback(
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
        await review_and_approve_first_version(page, llm, shots)
        await set_the_secret(page, llm, shots)
        await see_the_calls(page, shots)
        await revoke_and_roll_back(page, llm, shots)
        await approve_the_rollback(page, llm, shots)
        await visit_the_other_pages(page, shots)
