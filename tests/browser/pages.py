"""Opening pages for a test, and what a page itself got wrong while the test used it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import ConsoleMessage, Error, Page

# open_page(viewport=..., is_mobile=...) -> a page in a fresh context (see conftest.open_page).
OpenPage = Callable[..., Awaitable[Page]]


class PageProblems:
    """What the page itself got wrong: uncaught errors and CSP violations."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.found.append(f"CSP: {message.text}")

    def on_page_error(self, error: Error) -> None:
        self.found.append(f"uncaught: {error.message}")
