"""Develop and observe: check code statically, test-run it in the sandbox, read execution logs."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from polybox.forge import logs, tools
from polybox.forge.pages import Page
from polybox.forge.schemas import CodeReport, ExecutionLogOut, TestCodeResult
from polybox.mcp.management.base import Call, Input, ManagementTool, PageInput
from polybox.store.enums import ExecutionStatus

SERVER = Field(description="Server whose allow-lists and secrets apply.")


class ValidateCode(Input):
    server: str = SERVER
    code: str = Field(description="Python source defining `async def main(...)`.")


class TestCode(Input):
    server: str = SERVER
    tool: str | None = Field(None, description="Run this saved tool's current code.")
    code: str | None = Field(None, description="Or run this unsaved code.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Arguments for main.")

    @model_validator(mode="after")
    def _one_source(self) -> TestCode:
        if (self.tool is None) == (self.code is None):
            raise ValueError("give exactly one of 'tool' (saved code) or 'code' (unsaved code)")
        return self


class ToolLogs(PageInput):
    server: str = Field(description="Server name.")
    tool: str | None = Field(None, description="Only this tool's calls.")
    status: ExecutionStatus | None = Field(None, description="Only calls that ended this way.")


async def _validate(call: Call, args: ValidateCode) -> CodeReport:
    async with call.transaction() as session:
        return await tools.validate_code(session, args.server, args.code)


async def _test(call: Call, args: TestCode) -> TestCodeResult:
    result = await call.instance.runner.test_code(
        call.instance.sessions,
        call.actor,
        args.server,
        args.arguments,
        tool=args.tool,
        code=args.code,
        progress=call.report.progress,
    )
    if result.stdout:
        await call.report.log("debug", result.stdout, "polybox_test_code")
    if result.error is None:
        await call.report.log(
            "info", f"test run ok in {result.duration_ms:.0f} ms", "polybox_test_code"
        )
    else:
        await call.report.log(
            "error", f"test run failed: {result.error.message}", "polybox_test_code"
        )
    return result


async def _logs(call: Call, args: ToolLogs) -> Page[ExecutionLogOut]:
    async with call.transaction() as session:
        return await logs.get_tool_logs(
            session,
            args.server,
            args.tool,
            None if args.status is None else args.status.value,
            page=args.page,
            page_size=args.page_size,
        )


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "polybox_validate_code",
        "Check tool code without running it: syntax, an async `main`, the input/output schema "
        "derived from its annotations, imports and hosts that are not allowed for the server.",
        ValidateCode,
        _validate,
        output=CodeReport,
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_test_code",
        "Run a saved tool's code, or unsaved code, with arguments in the sandbox (with the "
        "server's secrets and allowed hosts). Returns the result, stdout, duration and error "
        "detail. Unapproved code runs for local clients (stdio, loopback) unless the admin "
        "turned that off, and for remote clients only if the admin enabled testing before "
        "approval; secrets are stand-ins either way.",
        TestCode,
        _test,
        output=TestCodeResult,
        read_only=False,
    ),
]

OBSERVE: list[ManagementTool[Any]] = [
    ManagementTool(
        "polybox_get_tool_logs",
        "A server's (or one tool's) execution logs, newest first: arguments and result "
        "(redacted, truncated), stdout, duration, status, client.",
        ToolLogs,
        _logs,
        output=Page[ExecutionLogOut],
        read_only=True,
        idempotent=True,
    ),
]
