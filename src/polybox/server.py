"""Run polybox: HTTP with uvicorn (`polybox serve`) or MCP over stdio (`polybox stdio`)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import uvicorn

from polybox.app import create_app
from polybox.config import Settings
from polybox.instance import Instance
from polybox.logs import configure_logging, get_logger
from polybox.mcp.server import McpSurface
from polybox.mcp.stdio import serve_stdio
from polybox.remote import check_remote_serving

_log = get_logger("polybox.server")


class _Server(uvicorn.Server):
    """uvicorn's server without its re-raise of the caught signal once it has shut down.

    uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown; with the default handler back
    in place, SIGTERM then ends the process before `Instance.close` runs, leaving Box dirs,
    cgroups and unwritten execution logs behind. Here the signal only starts the shutdown
    (draining in-flight requests up to `shutdown_timeout_seconds`); `serve` closes the instance
    and returns normally.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


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
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        )
        _log.info(
            "serving",
            url=f"http://{settings.host}:{settings.port}",
            database=instance.engine.url.render_as_string(hide_password=True),
            sandbox=instance.sandbox.backend,
            instance=instance.id,
        )
        await _Server(config).serve()
    finally:
        await instance.close()
        _log.info("stopped", instance=instance.id)


async def stdio(settings: Settings) -> None:
    """Serve MCP on stdin/stdout against the same store as `serve`; logs go to stderr."""
    configure_logging(settings.log_level, settings.log_format)
    async with Instance.running(settings) as instance:
        await serve_stdio(McpSurface(instance))
