"""A fake package index, served over real HTTP, so no test depends on the public PyPI.

It speaks PyPI's JSON API (`/pypi/<name>/json`) for one project, `requests`, and fails the ways
an index does for a few reserved names: `broken` (500), `garbled` (not PyPI's shape) and `stuck`
(no answer until the index is shut down). Every other name is a 404.

It is also a PEP 503 simple index (`/simple/<name>/`, what pip installs from) of the real files
in a folder the test fills (wheels built by tests/wheels.py, or an sdist). A test that must see
an install in progress passes `hold`: files are served only once that event is set.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from mcp_clients import serving

REQUESTS_JSON: dict[str, Any] = {
    "info": {
        "name": "requests",
        "version": "2.32.3",
        "summary": "Python HTTP for Humans.",
        "license": "Apache-2.0\n\nLicensed under the Apache License...",
        "license_expression": None,
        "home_page": "",
        "project_urls": {"Source": "https://github.com/psf/requests"},
        "requires_python": ">=3.8",
        "package_url": "https://pypi.org/project/requests/",
    },
    "urls": [
        {"packagetype": "sdist", "upload_time_iso_8601": "2024-05-29T15:37:49.5Z"},
        {"packagetype": "bdist_wheel", "upload_time_iso_8601": "2024-05-29T15:37:47.6Z"},
    ],
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@asynccontextmanager
async def fake_package_index(
    files: Path | None = None, *, hold: anyio.Event | None = None
) -> AsyncIterator[str]:
    """Serve the fake index on 127.0.0.1; yields its base URL (the `pypi_url` setting).

    `files`: the folder whose wheels and sdists the simple index lists (none when None).
    """
    shut_down = anyio.Event()

    def of_project(name: str) -> list[Path]:
        found = [] if files is None else sorted(files.iterdir())
        return [f for f in found if _canonical(re.split(r"-\d", f.name, maxsplit=1)[0]) == name]

    async def simple(request: Request) -> Response:
        listed = of_project(_canonical(request.path_params["name"]))
        if not listed:
            return Response("Not Found", status_code=404)
        links = "".join(
            f'<a href="/files/{html.escape(f.name)}">{html.escape(f.name)}</a>\n' for f in listed
        )
        return HTMLResponse(f"<!DOCTYPE html><html><body>\n{links}</body></html>")

    async def download(request: Request) -> Response:
        if hold is not None:
            await hold.wait()
        assert files is not None
        return FileResponse(files / Path(request.path_params["file"]).name)

    async def project(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "requests":
            return JSONResponse(REQUESTS_JSON)
        if name == "broken":
            return Response("upstream exploded", status_code=500)
        if name == "garbled":
            return JSONResponse({"unexpected": True})
        if name == "stuck":
            await shut_down.wait()
        return JSONResponse({"message": "Not Found"}, status_code=404)

    app = Starlette(
        routes=[
            Route("/pypi/{name}/json", project),
            Route("/simple/{name}/", simple),
            Route("/files/{file}", download),
        ]
    )
    async with serving(app, "127.0.0.1") as url:
        yield url.removesuffix("/mcp")
        shut_down.set()
