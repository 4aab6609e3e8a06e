"""The built admin UI at `/`: its static files, and `index.html` for every client-side route.

Vite builds `frontend/` into `ui_dist/` next to this module (`make ui`; shipped in the wheel as
package data). Files under `assets/` carry a content hash in their names, so browsers may keep
them for a year; everything else, `index.html` above all, is revalidated on each load so a new
release is picked up at once. A GET that accepts HTML and names no file gets `index.html` (the
app's router takes it from there), except under the server's own prefixes, which answer 404 as
they would without the UI; `/` itself is the UI whatever the Accept header (`curl` included).
Until the UI is built, such a GET gets a page saying how to build it.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from polybox.middleware import CONTENT_SECURITY_POLICY

UI_DIST = Path(__file__).with_name("ui_dist")

# No inline scripts or styles; Vite inlines small images and fonts as data: URLs.
UI_CONTENT_SECURITY_POLICY = (
    f"{CONTENT_SECURITY_POLICY}; img-src 'self' data:; font-src 'self' data:; form-action 'self'"
)
HASHED_CACHE = "public, max-age=31536000, immutable"
REVALIDATE_CACHE = "no-cache"

# First path segments that never fall back to index.html: the server's own surfaces, and the
# hashed assets (a missing script must be a 404, not HTML the browser refuses to run).
NO_FALLBACK_PREFIXES = frozenset(
    {"api", "mcp", "healthz", "readyz", "metrics", ".well-known", "oauth", "assets"}
)

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>polybox: admin UI not built</title></head>
<body>
<h1>The admin UI is not built</h1>
<p>This polybox runs from a source checkout without the built web UI. Build it with
<code>make ui</code> (needs Node.js 20 and npm), then reload this page.
The MCP endpoint at <code>/mcp</code> and the admin API at <code>/api</code> work without it.</p>
</body>
</html>
"""


class UserInterface(StaticFiles):
    """Serves `directory` (a Vite build) as a single-page app; see the module docstring."""

    def __init__(self, directory: Path = UI_DIST) -> None:
        # The directory may appear later (`make ui` while serving): looked up on each request.
        super().__init__(directory=directory, check_dir=False)

    async def check_config(self) -> None:
        """A missing build is a normal state here (the not-built page), not a config error."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or not _wants_app_page(scope):
                raise
        index, stat_result = await anyio.to_thread.run_sync(self.lookup_path, "index.html")
        if stat_result is None:
            return HTMLResponse(NOT_BUILT_PAGE, status_code=404, headers=_ui_headers(""))
        return self.file_response(index, stat_result, scope)

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        relative = os.path.relpath(full_path, os.path.realpath(str(self.directory)))
        response.headers.update(_ui_headers(relative))
        return response


def _ui_headers(relative_path: str) -> dict[str, str]:
    hashed = relative_path.startswith("assets" + os.sep)
    return {
        "cache-control": HASHED_CACHE if hashed else REVALIDATE_CACHE,
        "content-security-policy": UI_CONTENT_SECURITY_POLICY,
    }


def _wants_app_page(scope: Scope) -> bool:
    """A browser navigation to a client-side route: GET/HEAD, accepts HTML, not a server path;
    or the root, which is the UI for any client."""
    if scope["method"] not in ("GET", "HEAD"):
        return False
    if scope["path"] == "/":
        return True
    first_segment = scope["path"].lstrip("/").split("/", 1)[0]
    if first_segment in NO_FALLBACK_PREFIXES:
        return False
    return "text/html" in Headers(scope=scope).get("accept", "")
