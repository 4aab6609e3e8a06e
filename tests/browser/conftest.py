"""Fixtures for the browser tests: a real `polybox serve` and Debian's Chromium through Playwright.

- `polybox`: `python -m polybox serve` on 127.0.0.1 (a free port, a fresh SQLite data dir, the
  real bwrap sandbox), answering /readyz 200 before the test starts; SIGTERM afterwards. Its log
  goes to a file whose tail is shown when it fails to start.
- `browser`: Chromium from /usr/bin/chromium (Playwright never downloads one here), headless.
- `page`: a fresh desktop-sized context on the polybox URL. Uncaught page errors and Content
  Security Policy violations fail the test at teardown.
- `shots`: saves full-page screenshots under test-output/screenshots/<test name>/.

Without Chromium or without a built UI (`make ui`; `make test` builds it) the tests are skipped
with the reason; CI installs Chromium and builds the UI, so there they run.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Error, Page, async_playwright

from browser.server import Polybox, serving
from polybox.web import UI_DIST

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Two busy cores: a page load plus its API calls can take seconds.
TIMEOUT_MS = 20_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture
def polybox(tmp_path: Path) -> Iterator[Polybox]:
    if not (UI_DIST / "index.html").is_file():
        pytest.skip(f"browser tests SKIPPED: the admin UI is not built in {UI_DIST} (make ui)")
    with serving(tmp_path) as running:
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


class PageProblems:
    """What the page itself got wrong: uncaught errors and CSP violations."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.found.append(f"CSP: {message.text}")

    def on_page_error(self, error: Error) -> None:
        self.found.append(f"uncaught: {error.message}")


@pytest.fixture
async def page(browser: Browser, polybox: Polybox) -> AsyncIterator[Page]:
    context = await browser.new_context(
        base_url=polybox.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    opened = await context.new_page()
    problems = PageProblems()
    opened.on("console", problems.on_console)
    opened.on("pageerror", problems.on_page_error)
    yield opened
    await context.close()
    assert problems.found == [], problems.found


class Shots:
    """Full-page screenshots of one test, numbered in the order taken."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []

    async def take(self, page: Page, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        await page.screenshot(path=path, full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Shots(folder)
