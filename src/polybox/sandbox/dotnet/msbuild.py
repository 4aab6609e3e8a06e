"""MSBuild and NuGet output lines as Diagnostics.

`dotnet restore` prints problems as `<file>[(line,col)]: error|warning CODE: message [project]`;
the restore broker turns them into the same `Diagnostic` the compiler gives.
"""

from __future__ import annotations

import re

from polybox.sandbox.dotnet.model import Diagnostic

_LINE = re.compile(
    r"^\s*(?P<file>[^\s(:][^(:]*?)?(?:\((?P<line>\d+)(?:,(?P<column>\d+))?\))?\s*:\s*"
    r"(?P<severity>error|warning|info)\s+(?P<code>[A-Z]+[0-9]+)\s*:\s*(?P<message>.*?)"
    r"(?:\s+\[[^\]]*\])?\s*$"
)


def parse_diagnostics(output: str, *, file: str | None = None) -> tuple[Diagnostic, ...]:
    """Every diagnostic line of MSBuild/NuGet output, once each, in order.

    `file` replaces the file each line names (e.g. a generated project's temporary path).
    """
    seen: dict[tuple[str, str], Diagnostic] = {}
    for raw in output.splitlines():
        match = _LINE.match(raw)
        if match is None:
            continue
        diagnostic = Diagnostic(
            file=file if file is not None else (match["file"] or "").strip(),
            line=int(match["line"] or 0),
            column=int(match["column"] or 0),
            code=match["code"],
            severity=match["severity"],
            message=match["message"].strip(),
        )
        seen.setdefault((diagnostic.code, diagnostic.message), diagnostic)
    return tuple(seen.values())
