"""Screenshots of the pages a browser test visits, kept under test-output/ for people to look at."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page


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
