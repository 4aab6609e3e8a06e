"""External MCP sources: other MCP servers whose tools a server passes through.

`sources` (add, list, change, remove), `passthrough` (discover and import tools, which then go
through the approval workflow), `gateway` (pooled, egress-checked sessions: calls, listing, pings,
health), `health` (the background checks), `oauth` and `flows` (OAuth 2.1 tokens and the admin's
authorisation flow), `network` (the egress check on every dial).
"""
