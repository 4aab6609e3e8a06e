"""The .NET half in the browser tests: the LLM's calls (a C# snippet, a workspace, a hosted web
API, what a call to a stopped workspace answers), made with the official MCP client as a model
would; and the admin's keyboard steps on the workspace pages.

`dotnet_serving` starts `polybox serve` on the prepared .NET data dir of the test session
(tests/dotnet_snippets.py: POLYBOX_TEST_DOTNET_DIR) with a fresh SQLite store of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from browser.llm import Agent
from browser.server import Polybox, serving
from browser.shots import Shots
from browser.ui import page_titled, tab_to
from dotnet_snippets import prepared_dotnet_settings

SNIPPET = 'Console.WriteLine($"snippet on {Environment.Version.Major}");'


async def dotnet_data_dir() -> Path:
    """The session's prepared .NET data dir (prepared first if needed; skips without the SDK)."""
    return (await prepared_dotnet_settings()).data_dir


@contextmanager
def dotnet_serving(workdir: Path, data_dir: Path) -> Iterator[Polybox]:
    """`polybox serve` on the prepared data dir, its store a fresh SQLite file in `workdir`."""
    store = workdir / "polybox.db"
    settings = {
        "POLYBOX_DATABASE_URL": f"sqlite+aiosqlite:///{store}",
        "POLYBOX_DOTNET_PREWARM_VERSIONS": "[]",
    }
    with serving(workdir, settings, data_dir=data_dir) as running:
        yield running


async def dotnet_call(llm: Agent, tool: str, **arguments: Any) -> dict[str, Any]:
    """A `dotnet_*` call that must succeed; its `data`, with `metadata` merged in under that key."""
    answer = await llm.call(tool, arguments)
    assert answer["status"] == "success", answer
    data: dict[str, Any] = answer["data"]
    return {**data, "metadata": answer["metadata"]}


async def run_snippet(llm: Agent) -> str:
    """Run the snippet on .NET 8; its output."""
    run = await dotnet_call(llm, "dotnet_execute_snippet", code=SNIPPET, dotnet_version=8)
    stdout: str = run["stdout"]
    assert stdout == "snippet on 8\n", run
    return stdout


async def create_workspace(llm: Agent, template: str) -> str:
    """Create a .NET 8 workspace from `template`; its id."""
    created = await dotnet_call(llm, "dotnet_create_project", template=template, dotnet_version=8)
    workspace_id: str = created["metadata"]["workspace_id"]
    return workspace_id


async def host_web_api(llm: Agent) -> str:
    """Create a .NET 8 webapi workspace and host its API; the workspace's id."""
    workspace_id = await create_workspace(llm, "webapi")
    hosted = await dotnet_call(llm, "dotnet_host_api", workspace_id=workspace_id)
    assert hosted["url"].startswith("http://127.0.0.1:"), hosted
    return workspace_id


async def stopped_error(llm: Agent, workspace_id: str) -> str:
    """The error message of a call to a workspace that is no longer running."""
    result = await llm.client.call_tool("dotnet_get_project_files", {"workspace_id": workspace_id})
    assert result.is_error, result.content
    answer = result.structured_content
    assert answer is not None, result.content
    assert answer["status"] == "error", answer
    message: str = answer["error"]["message"]
    return message


async def open_workspace(page: Page, workspace_id: str) -> None:
    """From the Workspaces list to the workspace's page, with the keyboard."""
    await tab_to(page, page.get_by_role("link", name=workspace_id, exact=True))
    await page.keyboard.press("Enter")
    await page_titled(page, workspace_id)


async def stop_with_the_keyboard(page: Page, workspace_id: str, shots: Shots) -> None:
    """Stop button, then the confirmation (Cancel has the focus first), by Tab and Enter only."""
    await tab_to(page, page.get_by_role("button", name="Stop workspace"), backwards=True)
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog", name=f"Stop {workspace_id}?")
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await shots.take(page, "stop-confirmation")
    await tab_to(page, dialog.get_by_role("button", name="Stop workspace"), presses=3)
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text("by an admin")).to_be_visible()
    await expect(page.get_by_text("Its files are gone")).to_be_visible()
