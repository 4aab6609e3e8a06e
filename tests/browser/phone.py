"""A phone's width (390 x 844) and the checks that a page fits it: nothing scrolls sideways."""

from __future__ import annotations

from playwright.async_api import Page, ViewportSize

PHONE = ViewportSize(width=390, height=844)


async def overflow_px(page: Page) -> int:
    """How far the page is wider than the viewport (0 when nothing scrolls sideways)."""
    overflow: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return overflow


async def cropped_cells(page: Page) -> int:
    """How many visible table cells reach past the screen's right edge (hidden in a scroller)."""
    count: int = await page.evaluate(
        """[...document.querySelectorAll(".table td")]
            .filter((cell) => cell.getClientRects().length > 0)
            .filter((cell) => cell.getBoundingClientRect().right > window.innerWidth + 0.5)
            .length"""
    )
    return count


async def expect_no_sideways_scroll(page: Page, what: str) -> None:
    assert await overflow_px(page) == 0, f"{what} scrolls sideways at {PHONE['width']} px"
    assert await cropped_cells(page) == 0, f"{what} crops table columns at {PHONE['width']} px"
