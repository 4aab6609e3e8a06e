"""The .NET workspaces service: the rules of the `dotnet_*` tools.

It validates what a caller asks for (`schemas`), runs it on the runtime layer
(`polybox.sandbox.dotnet`), explains compiler and NuGet diagnostics (`suggestions`), trims
output to the asked detail (`detail`), and answers in the one shape every `dotnet_*` tool
shares (`answers`). It knows nothing of MCP.
"""
