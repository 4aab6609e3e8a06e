"""MCP over stdio (`polybox stdio`): one local client, the same store and forge as HTTP.

stdout carries the protocol, so logs go to stderr (the CLI configures that).
"""

from __future__ import annotations

from mcp.server.stdio import stdio_server

from polybox.mcp.server import McpSurface


async def serve_stdio(surface: McpSurface) -> None:
    """Serve one client on stdin/stdout until it closes stdin."""
    async with surface.running(), stdio_server() as (read_stream, write_stream):
        await surface.server.run(
            read_stream, write_stream, surface.server.create_initialization_options()
        )
