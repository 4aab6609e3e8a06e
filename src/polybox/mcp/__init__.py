"""The MCP surface: management tools (`polybox_*`) and forged tools (`<server>__<tool>`).

One low-level SDK `Server` per instance, served over Streamable HTTP at `/mcp` and over stdio
(`polybox stdio`). Handlers turn a tool call into one forge service call and render the answer;
the rules live in `polybox.forge`.
"""
