"""The built-in OAuth 2.1 authorization server for remote MCP clients, on the `mcp` SDK's handlers.

`endpoints` (URLs, scopes, lifetimes), `clients` (dynamic registration), `grants` (pending
consents and authorization codes), `tokens` (access and refresh tokens), `provider` (the SDK's
provider protocol over those), `verifier` (bearer tokens on `/mcp`: OAuth and admin API tokens),
`consent` (the login-and-approve page) and `routes` (what the app mounts).
"""
