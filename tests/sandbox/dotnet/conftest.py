"""The session's prepared .NET runtime (see tests/dotnet_snippets.py)."""

from dotnet_snippets import dotnet  # noqa: F401 (the fixture)
