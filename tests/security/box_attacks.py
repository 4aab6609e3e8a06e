"""Helpers of the attack tests: the supervisor marker and running a snippet in a Box."""

from __future__ import annotations

from polybox.sandbox.box import Box, ExecResult

HOST_MARKER = "POLYBOX_TEST_SUPERVISOR_MARKER"
MARKER_VALUE = "supervisor-secret-3f9c1e"


async def run_py(box: Box, code: str, timeout: float = 20) -> ExecResult:  # noqa: ASYNC109
    """Run a Python snippet in the Box (isolated mode: no site, no user paths)."""
    return await box.exec(["python3", "-I", "-c", code], timeout=timeout)
