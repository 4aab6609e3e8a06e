"""The interactive API docs at /api/docs: Swagger UI served from the package, no CDN.

The Vite build of the admin UI copies Swagger UI from its npm package (`swagger-ui-dist`) into
`api-docs/` with a static init script, so the page works offline and needs no inline script: its
Content-Security-Policy (`DOCS_CSP`) is the admin UI's plus `data:` images. Until the UI is built
the page says so instead of staying blank.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from polybox.middleware import CONTENT_SECURITY_POLICY

ASSETS = "/api-docs"
# Swagger UI draws its icons as data: images; its scripts and styles are files of this origin.
DOCS_CSP = f"{CONTENT_SECURITY_POLICY}; img-src 'self' data:"

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>polybox admin API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"><p>Loading the API docs&hellip; If this stays, the admin UI is not built
(run <code>make ui</code>); the schema is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>
</div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/init.js"></script>
</body>
</html>
"""

router = APIRouter()


@router.get("/docs", include_in_schema=False)
async def api_docs() -> HTMLResponse:
    """The Swagger UI page (no authentication: it shows the public schema; calls need a token)."""
    return HTMLResponse(PAGE)
