"""Fixtures for the browser tests: a real `polybox serve` and Debian's Chromium through Playwright.

- `polybox`: `python -m polybox serve` on 127.0.0.1 (a free port, a fresh SQLite data dir, the
  real bwrap sandbox), answering /readyz 200 before the test starts; SIGTERM afterwards. Its log
  goes to a file whose tail is shown when it fails to start. `dotnet_polybox`: the same on the
  prepared .NET data dir (browser/dotnet.py), for tests of the .NET pages.
- `browser`: Chromium from /usr/bin/chromium (Playwright never downloads one here), headless.
- `open_page`: opens a page in a fresh context on the polybox URL (any viewport); `page` is a
  desktop-sized one. Uncaught page errors and Content Security Policy violations fail the test
  at teardown.
- `shots`: saves full-page screenshots under test-output/screenshots/<test name>/.

Without Chromium or without a built UI (`make ui`; `make test` builds it) the tests are skipped
with the reason; CI installs Chromium and builds the UI, so there they run.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)

from browser.dotnet import dotnet_data_dir, dotnet_serving
from browser.pages import OpenPage, PageProblems
from browser.server import Polybox, require_built_ui, serving
from browser.shots import Shots

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Two busy cores (load above 10 while the suite runs): a page load, its API calls and an argon2
# password hash can take many seconds; a hang still fails well inside the 120 s test timeout.
TIMEOUT_MS = 45_000
expect.set_options(timeout=TIMEOUT_MS)
DESKTOP = ViewportSize(width=1280, height=900)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture
def polybox(tmp_path: Path) -> Iterator[Polybox]:
    require_built_ui()
    with serving(tmp_path) as running:
        yield running


@pytest.fixture
async def dotnet_polybox(tmp_path: Path) -> AsyncIterator[Polybox]:
    """A `polybox serve` on the prepared .NET data dir; tests of the .NET pages use it as their
    `polybox` (a `polybox` fixture of their module or class that returns it)."""
    require_built_ui()
    data_dir = await dotnet_data_dir()
    with dotnet_serving(tmp_path, data_dir) as running:
        yield running


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"browser tests SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def open_page(browser: Browser, polybox: Polybox) -> AsyncIterator[OpenPage]:
    """Open pages on polybox in fresh contexts (`viewport`, `is_mobile` as Playwright takes them).

    At teardown the contexts close, and the test fails if a page had an uncaught error or broke
    the Content Security Policy.
    """
    contexts: list[BrowserContext] = []
    problems = PageProblems()

    async def opened(viewport: ViewportSize = DESKTOP, is_mobile: bool = False) -> Page:
        context = await browser.new_context(
            base_url=polybox.url, viewport=viewport, is_mobile=is_mobile
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        page.on("console", problems.on_console)
        page.on("pageerror", problems.on_page_error)
        return page

    yield opened
    for context in contexts:
        await context.close()
    assert problems.found == [], problems.found


@pytest.fixture
async def page(open_page: OpenPage) -> Page:
    """A desktop-sized page on polybox."""
    return await open_page()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Shots(folder)
