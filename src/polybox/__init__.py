"""polybox: sandboxes for LLMs, and a forge that turns their code into approved MCP tools."""

__version__ = "0.1.0"
