"""What the admin does in the browser, by role and accessible name (as a screen reader sees it)."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Locator, Page, expect

ADMIN = "alice"
PASSWORD = "correct horse battery staple"


async def page_titled(page: Page, title: str) -> None:
    """Wait until the page's main heading says `title` (the app has routed and rendered)."""
    await expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


async def set_up_first_admin(page: Page) -> None:
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/setup$"))
    await page.get_by_label("Username").fill(ADMIN)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Repeat password").fill(PASSWORD)
    await page.get_by_role("button", name="Create admin").click()
    await page_titled(page, "Dashboard")


async def log_in_with_the_keyboard(page: Page) -> None:
    """Log in from the login page by typing: Tab to the username, Tab to the password, Enter."""
    await tab_to(page, page.get_by_label("Username"))
    await page.keyboard.type(ADMIN)
    await page.keyboard.press("Tab")
    await expect_focus_visible(page.get_by_label("Password"))
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page_titled(page, "Dashboard")


async def log_out(page: Page) -> None:
    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(re.compile(r"/login"))


async def log_in(page: Page) -> None:
    await page.get_by_label("Username").fill(ADMIN)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page_titled(page, "Dashboard")


async def open_page(page: Page, name: str) -> None:
    """Follow the main navigation to the page `name` (its link text and its heading)."""
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    await page_titled(page, name)


async def first_admin_through_api(base_url: str) -> None:
    """Create the first admin with the API (tests whose subject is not the Setup page)."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/auth/setup", json={"username": ADMIN, "password": PASSWORD}
        )
    assert response.status_code == 201, response.text


async def tab_to(page: Page, target: Locator, presses: int = 60, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab if `backwards`) until `target` has the focus; fail if it never gets it.

    The focus must also be visible there: the keyboard user sees where they are.
    """
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(presses):
        await page.keyboard.press(key)
        if await target.evaluate("element => element === document.activeElement"):
            await expect_focus_visible(target)
            return
    raise AssertionError(f"{target} never got the focus within {presses} {key} presses")


async def expect_focus_visible(target: Locator) -> None:
    """`target` has the focus and draws a focus indicator (an outline or a box shadow)."""
    await expect(target).to_be_focused()
    indicator: str = await target.evaluate(
        """element => {
            const style = getComputedStyle(element);
            const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
            if (outline) return `outline ${style.outlineWidth} ${style.outlineStyle}`;
            return style.boxShadow === "none" ? "" : `box-shadow ${style.boxShadow}`;
        }"""
    )
    assert indicator, f"{target} has the focus but shows no focus indicator"
