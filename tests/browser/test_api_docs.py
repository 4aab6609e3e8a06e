"""/api/docs works offline: Swagger UI comes from polybox itself, within its CSP.

Real `polybox serve` and Debian's Chromium; every request to anything but loopback is aborted
(and recorded), as on a homelab without internet. CSP violations and page errors fail the test
(see conftest.open_page).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Route, expect

pytestmark = pytest.mark.anyio

LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}


async def test_the_api_docs_render_every_operation_with_no_network_but_loopback(
    page: Page,
) -> None:
    outside: list[str] = []

    async def loopback_only(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK or url.startswith("data:"):
            await route.continue_()
        else:
            outside.append(url)
            await route.abort("internetdisconnected")

    await page.route("**/*", loopback_only)
    await page.goto("/api/docs")

    await expect(page.get_by_text("polybox admin API", exact=False).first).to_be_visible()
    servers = page.locator(".opblock-summary-path", has_text="/servers").first
    await expect(servers).to_be_visible()
    assert await page.locator(".opblock").count() > 40  # the admin API's operations
    await page.locator(".opblock-summary", has_text="/auth/status").first.click()
    await expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    assert outside == []
