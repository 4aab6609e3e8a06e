"""What tool code may import by default: a governance list, not the security boundary.

The Box is the boundary (no network, read-only system, limits). This list keeps tools to modules
an admin has agreed to; a tool that needs another one asks with `polybox_request_module`, and
an approved third-party package joins the list of its server. Modules that reach the host
(os, sys, subprocess, socket, ctypes, importlib, threading...) are deliberately absent.
`secrets` is absent too: that name is the injected mapping of the server's secrets.
"""

from __future__ import annotations

DEFAULT_ALLOWED_MODULES: frozenset[str] = frozenset(
    {
        "abc", "array", "asyncio", "base64", "binascii", "bisect", "calendar", "cmath",
        "collections", "colorsys", "contextlib", "copy", "csv", "dataclasses", "datetime",
        "decimal", "difflib", "enum", "fnmatch", "fractions", "functools", "graphlib", "hashlib",
        "heapq", "hmac", "html", "ipaddress", "itertools", "json", "math", "numbers",
        "operator", "pprint", "random", "re", "statistics", "string", "struct", "textwrap",
        "time", "typing", "unicodedata", "urllib.parse", "uuid", "zoneinfo", "zlib",
    }
)  # fmt: skip
"""Safe standard-library modules (and their submodules, e.g. `collections.abc`)."""

PRELOADED_MODULES: tuple[str, ...] = tuple(
    sorted(DEFAULT_ALLOWED_MODULES | {"traceback", "linecache", "inspect"})
)
"""Imported once by each worker before it forks, so a call's imports cost nothing."""

FIELD_MODULE = "pydantic"
FIELD_NAME = "Field"
"""`from pydantic import Field` (that name only) works in every tool although pydantic is not in
the Box: the child answers it with a stdlib stand-in, a marker that only carries its keywords
(the schema and argument checks are derived outside the Box). `Field` is also injected, so it
works without the import. With `pydantic` itself allowed, the real import is used instead."""
