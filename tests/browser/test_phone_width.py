"""The admin UI at a phone's width (390 x 844): the menu navigates, nothing scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, ViewportSize, expect

from browser.pages import OpenPage
from browser.server import Polybox
from browser.shots import Shots
from browser.ui import first_admin_through_api, log_in, page_titled

pytestmark = pytest.mark.anyio

PHONE = ViewportSize(width=390, height=844)
MAIN_PAGES = ["Servers", "Approvals", "Activity", "Settings", "Connect", "Dashboard"]


async def overflow_px(page: Page) -> int:
    """How far the page is wider than the viewport (0 when nothing scrolls sideways)."""
    overflow: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return overflow


async def test_every_main_page_fits_a_phone_and_the_menu_navigates(
    open_page: OpenPage, polybox: Polybox, shots: Shots
) -> None:
    await first_admin_through_api(polybox.url)
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
        assert await overflow_px(page) == 0, f"{name} scrolls sideways at 390 px"
        await shots.take(page, f"phone-{name.lower()}")
