"""`dotnet test` results: the TRX report (VSTest's XML logger) as structured test cases.

The report is written inside the workspace by code the user controls, so it is read as untrusted
data: size-capped by the caller, parsed by expat (whose entity-amplification limits stop
"billion laughs"), and anything unexpected is skipped rather than trusted.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from polybox.sandbox.dotnet.model import TestCase

_NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
_OUTCOMES = {"Passed": "passed", "Failed": "failed", "NotExecuted": "skipped", "Skipped": "skipped"}
_MESSAGE_LIMIT = 4000


def _duration_ms(text: str | None) -> float:
    """`hh:mm:ss.fffffff` as milliseconds (0 when absent or malformed)."""
    try:
        hours, minutes, seconds = (text or "").split(":")
        return (int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000
    except ValueError:
        return 0.0


def parse_trx(data: bytes) -> tuple[TestCase, ...]:
    """The test cases of a TRX report, in report order; raises ValueError if it is not XML."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - see the module docstring
    except ET.ParseError as exc:
        raise ValueError(f"the test report is not valid TRX: {exc}") from exc
    cases = []
    for result in root.iter(f"{_NS}UnitTestResult"):
        outcome = _OUTCOMES.get(result.get("outcome", ""), "skipped")
        message = result.findtext(f"{_NS}Output/{_NS}ErrorInfo/{_NS}Message")
        if message is None and outcome == "skipped":
            message = result.findtext(f"{_NS}Output/{_NS}StdOut")
        cases.append(
            TestCase(
                name=result.get("testName", ""),
                outcome=outcome,
                duration_ms=_duration_ms(result.get("duration")),
                message=message.strip()[:_MESSAGE_LIMIT] if message else None,
            )
        )
    return tuple(cases)
