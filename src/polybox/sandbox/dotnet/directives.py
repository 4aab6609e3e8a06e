"""The `#:` lines of file-based C# programs, as snippets accept them.

`#:package Name@version` works like the `packages` parameter. `#:property`, `#:sdk` and
`#:project` are refused: they change how a project builds (a `RollForward` property would move a
run off its requested runtime), and a snippet has no project. Each handled line is blanked, so
compiler line numbers stay those of the code as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from polybox.sandbox.dotnet.model import PackageRef, RefusedCodeError, parse_package_ref

_DIRECTIVE = re.compile(r"^\s*#:\s*(?P<kind>\S*)\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class SnippetCode:
    """Code with its `#:` lines blanked, and the packages they named."""

    code: str
    packages: tuple[PackageRef, ...]


def read_directives(code: str) -> SnippetCode:
    """Split `#:package` lines out of the code; raises RefusedCodeError for the others."""
    lines = code.split("\n")
    packages: list[PackageRef] = []
    for number, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if match is None:
            continue
        kind, value = match["kind"].lower(), match["value"]
        if kind == "package":
            packages.append(parse_package_ref(value.replace(" ", "")))
        elif kind == "property" and value.replace(" ", "").lower().startswith("rollforward"):
            raise RefusedCodeError(
                f"line {number + 1}: `#:property {value}` is refused: a snippet runs on exactly "
                "the .NET version it asks for, never rolled forward onto another; choose the "
                "version with dotnet_version instead"
            )
        else:
            raise RefusedCodeError(
                f"line {number + 1}: `#:{match['kind']}` is not supported in snippets (they have "
                "no project to change); only `#:package Name@version` lines are"
            )
        lines[number] = ""
    return SnippetCode("\n".join(lines), tuple(packages))
