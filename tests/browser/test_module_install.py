"""The module journey in the browser: an LLM asks for a module, the admin approves it, watches it
install, and the LLM's tool imports it and computes with it.

The package index is tests/fake_package_index.py on loopback (`POLYBOX_PYPI_URL`), serving
wheels the test builds; it holds the files back until the UI has shown the install in progress.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from playwright.async_api import Page, expect

from browser.llm import agent
from browser.server import Polybox, serving
from browser.shots import Shots
from browser.ui import first_admin_through_api, log_in, open_page
from fake_package_index import fake_package_index
from polybox.sandbox.python.packages import packages_dir_of
from wheels import USE_DATES, build_polydates

pytestmark = pytest.mark.anyio


@pytest.fixture
async def hold() -> anyio.Event:
    """The index serves its files once this is set (the test sets it when "installing" shows)."""
    return anyio.Event()


@pytest.fixture
async def polybox(tmp_path: Path, hold: anyio.Event) -> AsyncIterator[Polybox]:
    """`polybox serve` whose package index is the fake one; removes what it installed."""
    build_polydates(tmp_path / "index")
    async with fake_package_index(tmp_path / "index", hold=hold) as index_url:
        with serving(tmp_path, {"POLYBOX_PYPI_URL": index_url}) as running:
            try:
                yield running
            finally:
                hold.set()
        packages = packages_dir_of(running.data_dir)
        if not packages.is_relative_to(running.data_dir):  # as root: outside the data dir
            shutil.rmtree(packages.parent)


@pytest.mark.timeout(240)
async def test_an_llm_asks_for_a_module_the_admin_approves_it_and_the_tool_computes_with_it(
    page: Page, polybox: Polybox, hold: anyio.Event, shots: Shots
) -> None:
    await first_admin_through_api(polybox.url)
    async with agent(polybox.mcp_url) as llm:
        await llm.call("polybox_create_server", {"name": "cal"})
        asked = await llm.call(
            "polybox_request_module",
            {"server": "cal", "module": "polydates", "reason": "date arithmetic"},
        )
        assert asked["status"] == "pending"

        await page.goto("/login")
        await log_in(page)
        await open_page(page, "Approvals")
        await page.get_by_role("tab", name="Modules (1)").click()
        await page.get_by_role("button", name="Approve polydates").click()
        installs = page.get_by_role("table", name="Module installs")
        await expect(installs.get_by_text("installing…")).to_be_visible()
        await shots.take(page, "module-installing")
        hold.set()  # the index now serves the wheels
        await expect(installs.get_by_text("installed 2.1")).to_be_visible()
        await shots.take(page, "module-installed")

        tool = {"server": "cal", "name": "days"}
        await llm.call("polybox_create_tool", {**tool, "code": USE_DATES})
        await llm.call("polybox_request_publish", {"server": "cal", "tool": "days"})
        await page.reload()  # the tools queue counts what arrived meanwhile
        await page.get_by_role("tab", name="Tools (1)").click()
        review = page.get_by_role("region", name="cal / days")
        await review.get_by_role("button", name="Approve").click()
        await expect(review).to_be_hidden()
        await llm.call("polybox_start_server", {"server": "cal"})
        assert await llm.call("cal__days", {}) == {"result": 60}
