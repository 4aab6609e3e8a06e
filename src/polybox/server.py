"""Run polybox: HTTP with uvicorn (`polybox serve`) or MCP over stdio (`polybox stdio`)."""

from __future__ import annotations

import uvicorn

from polybox.app import create_app
from polybox.config import Settings
from polybox.instance import Instance
from polybox.logs import configure_logging, get_logger
from polybox.mcp.server import McpSurface
from polybox.mcp.stdio import serve_stdio
from polybox.remote import check_remote_serving

_log = get_logger("polybox.server")


async def serve(settings: Settings) -> None:
    """Serve HTTP until interrupted. Start-up problems raise before the port is bound."""
    check_remote_serving(settings)
    configure_logging(settings.log_level, settings.log_format)
    instance = await Instance.start(settings)
    try:
        config = uvicorn.Config(
            create_app(instance),
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            server_header=False,
            lifespan="on",
            proxy_headers=False,  # the app believes forwarded headers from trusted_proxies only
        )
        _log.info(
            "serving",
            url=f"http://{settings.host}:{settings.port}",
            database=instance.engine.url.render_as_string(hide_password=True),
            sandbox=instance.sandbox.backend,
            instance=instance.id,
        )
        await uvicorn.Server(config).serve()
    finally:
        await instance.close()


async def stdio(settings: Settings) -> None:
    """Serve MCP on stdin/stdout against the same store as `serve`; logs go to stderr."""
    configure_logging(settings.log_level, settings.log_format)
    async with Instance.running(settings) as instance:
        await serve_stdio(McpSurface(instance))
