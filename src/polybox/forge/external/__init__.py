"""External MCP sources: other MCP servers whose tools a server passes through.

`sources` (add, list, change, remove), `passthrough` (discover and import tools, which then go
through the approval workflow), `gateway` (pooled, egress-checked sessions: calls, listing, pings,
health), `health` (the background checks), `oauth` (OAuth 2.1 tokens, stored encrypted and
refreshed by the SDK), `oauth_flow` (an admin connects an OAuth source), `snapshots` (a
passthrough version's text), `network` (the egress check on every dial).
"""
