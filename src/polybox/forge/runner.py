"""Running forged tools: a client's call of `<server>__<tool>`, and `polybox_test_code` runs.

A call follows the tool's call plan (plans.py): the tool must exist, be approved and enabled, and
its server running, as of the last change the event bus reported, so a revoke or stop takes
effect with the next call in this process and as soon as its event arrives on other replicas.
Arguments are validated against the tool's input schema before any code runs. The code runs in
the pool with its server's secrets, egress policy and import allow-list, in a worker bound to that
server (`scope`), under `call_timeout_seconds`; a passthrough tool's call goes to its external
source instead (forge/external/gateway.py), under the same limit. The outcome goes to the
execution log writer, which stores it off the call's path (see logs.py); a failed log write
never fails the call.

Tool code sees each secret as a stand-in that only the egress broker turns into the value; a
secret the admin marked raw is handed over in clear, to approved code only: a test run of
unapproved code gets stand-ins for every secret.

Test runs are not written to the execution logs: those record what ran for clients (approved
code), and a test run's outcome goes straight back to its caller. Each test run is recorded in the
activity log instead (who ran which code on which server, and how it ended).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from polybox.config import Settings
from polybox.crypto import SecretBox
from polybox.events import EventBus
from polybox.forge.actors import Actor
from polybox.forge.arguments import argument_validator, check_arguments
from polybox.forge.code import analyze_code
from polybox.forge.errors import (
    FieldError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from polybox.forge.external.gateway import SourceGateway
from polybox.forge.installs import missing_module_note
from polybox.forge.logs import ExecutionLogWriter, ExecutionRecord
from polybox.forge.names import SEPARATOR
from polybox.forge.plans import CallPlans, ServerRun, server_run
from polybox.forge.progress import Progress, Steps, no_progress
from polybox.forge.returns import checked, return_check, structured_content
from polybox.forge.schemas import CallOutcome, ErrorDetail, TestCodeResult
from polybox.forge.servers import find_server
from polybox.forge.settings import ForgeSettings, get_settings
from polybox.forge.unit import record_activity, transaction
from polybox.sandbox.python import PoolBusyError, PythonPool, RunResult, ToolError
from polybox.sandbox.redaction import JsonValue
from polybox.store.enums import ExecutionStatus, ToolStatus
from polybox.store.models import Server, Tool

logger = logging.getLogger(__name__)

_NO_SANDBOX = (
    "tool code cannot run: this polybox has no sandbox backend{detail}. Set POLYBOX_SANDBOX "
    "(bwrap, docker, or unsafe-local to run without isolation) and run `polybox doctor` to see "
    "what is missing"
)


class ToolRunner:
    """Runs forged tools and test code in the pool; one per process, shared by every surface.

    `pool` is None when the process has no sandbox backend (`sandbox_problem` says why); every
    run then fails with UnavailableError. `close()` writes the execution logs still waiting.
    """

    def __init__(
        self,
        pool: PythonPool | None,
        secret_box: SecretBox,
        settings: Settings,
        *,
        sandbox_problem: str | None = None,
        external: SourceGateway | None = None,
    ) -> None:
        self.pool = pool
        self.secret_box = secret_box
        self.settings = settings
        self.logs = ExecutionLogWriter()
        self.plans = CallPlans(secret_box, settings)
        self.external = external or SourceGateway(secret_box, settings)
        self._sandbox_problem = sandbox_problem

    async def close(self) -> None:
        """Close the external sources' sessions and write the execution logs still waiting.

        The pool belongs to whoever made it.
        """
        await self.external.close()
        await self.logs.close()

    async def call_tool(
        self,
        sessions: async_sessionmaker[AsyncSession],
        events: EventBus | None,
        actor: Actor,
        public_name: str,
        arguments: Mapping[str, Any] | None,
    ) -> CallOutcome:
        """Call `<server>__<tool>` with `arguments`; tool failures come back as `ok=False`.

        Raises NotFoundError (no such tool), ForbiddenError (not approved or disabled),
        UnavailableError (server stopped, no sandbox, pool busy, store unreachable) and
        InvalidInputError (arguments not matching the schema, every bad field listed). `events`
        is the bus that reports changes: without one, every call reads the store.
        """
        args = dict(arguments or {})
        async with _store_errors():
            plan = await self.plans.get(sessions, events, public_name)
        check_arguments(public_name, plan.validator, args)
        run = plan.run
        if plan.remote is not None:  # a passthrough tool: the call goes to its source
            result = await self.external.call(sessions, plan.remote, run, args)
        else:
            result = await self._explained(
                sessions,
                checked(plan.returns, await self._execute(self._pool(), plan.code, run, args)),
            )
        structured, text, error = _shape(
            result, wraps=plan.returns is not None and plan.returns.wraps
        )
        record = ExecutionRecord(
            server_id=run.server_id,
            tool_id=plan.tool_id,
            server_name=run.server_name,
            tool_name=plan.tool_name,
            status=_status(result.error),
            arguments=_dict(run.redactor.value(_json(args))),
            result=result.result,
            stdout=result.stdout,
            error=None if result.error is None else _error_record(result.error),
            duration_ms=result.duration_ms,
            client_id=actor.client_id,
        )
        self.logs.submit(sessions, record)
        return CallOutcome(
            ok=result.ok,
            structured=structured,
            text=text,
            error=error,
            duration_ms=result.duration_ms,
        )

    async def test_code(
        self,
        sessions: async_sessionmaker[AsyncSession],
        actor: Actor,
        server: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        tool: str | None = None,
        code: str | None = None,
        progress: Progress = no_progress,
    ) -> TestCodeResult:
        """Run a saved tool's current code (`tool`) or unsaved `code` for `server`, sandboxed.

        `progress` hears each stage (checking, running with a tick every second, finished).

        Policy: with tool_approval_mode=require_approval only approved code runs unless the
        admin turned on test_before_approval (admins may always test: reviewing is their job).
        Raises InvalidInputError for bad code or arguments, ForbiddenError for the policy.
        """
        pool = self._pool()
        args = dict(arguments or {})
        steps = Steps(progress)
        await steps.report("checking the code and arguments")
        async with _store_errors(), transaction(sessions, None) as session:
            found = await find_server(session, server)
            source, approved, name = await _test_source(session, found, tool, code)
            settings = await get_settings(session)
            _check_test_policy(settings, actor, approved=approved)
            run = await server_run(
                session, self.secret_box, self.settings, found, settings, raw_allowed=approved
            )
            report = analyze_code(
                source, allowed_modules=run.modules, allowed_hosts=found.allowed_hosts
            )
            if report.errors:
                problems = [FieldError("code", str(issue)) for issue in report.errors]
                raise InvalidInputError.of_fields("the code cannot run", problems)
            check_arguments(name, argument_validator(report.input_schema or {}), args)
        returns = return_check(source, report.output_schema)
        executed = await steps.ticking(
            self._execute(pool, source, run, args), "running in the sandbox"
        )
        result = await self._explained(sessions, checked(returns, executed))
        await steps.report(f"finished: {_status(result.error).value}")
        async with _store_errors(), transaction(sessions, None) as session:
            record_activity(
                session,
                actor,
                "code.tested",
                target_kind="server",
                target_id=found.id,
                details={
                    "tool": tool,
                    "code_sha256": hashlib.sha256(source.encode()).hexdigest(),
                    "status": _status(result.error).value,
                },
            )
        error = result.error
        return TestCodeResult(
            ok=result.ok,
            result=result.result,
            stdout=result.stdout,
            duration_ms=result.duration_ms,
            error=None if error is None else ErrorDetail(**_error_record(error)),
        )

    def _pool(self) -> PythonPool:
        if self.pool is None:
            detail = f" ({self._sandbox_problem})" if self._sandbox_problem else ""
            raise UnavailableError(_NO_SANDBOX.format(detail=detail))
        return self.pool

    async def _execute(
        self, pool: PythonPool, code: str, run: ServerRun, args: dict[str, Any]
    ) -> RunResult:
        try:
            return await pool.run(
                code,
                args,
                scope=run.scope,
                secrets=run.secrets,
                raw=run.raw,
                egress=run.egress,
                allowed_modules=run.modules,
                timeout=self.settings.call_timeout_seconds,
                redact=run.redact,
            )
        except PoolBusyError as exc:
            raise UnavailableError(f"the sandbox is busy ({exc}); try again shortly") from None

    async def _explained(
        self, sessions: async_sessionmaker[AsyncSession], result: RunResult
    ) -> RunResult:
        """Errors that need polybox's context to be useful, explained.

        A MemoryError (which carries no message) says which limit it hit. A ModuleNotFoundError
        on an approved module not installed (yet) says so and what to do; the store is read only
        on that error, so the hot path never reads it.
        """
        error = result.error
        if error is not None and error.type == "MemoryError" and not error.message.strip():
            limit = self.settings.call_memory_mb
            message = (
                f"the tool used more memory than a call may ({limit} MB, the call_memory_mb "
                "setting: POLYBOX_CALL_MEMORY_MB)"
            )
            return dataclasses.replace(result, error=dataclasses.replace(error, message=message))
        if error is None or error.type != "ModuleNotFoundError":
            return result
        try:
            async with sessions() as session:
                note = await missing_module_note(session, error.message)
        except (SQLAlchemyError, OSError):
            return result  # the plain error is still true
        if note is None:
            return result
        return dataclasses.replace(result, error=dataclasses.replace(error, message=note))


@contextlib.asynccontextmanager
async def _store_errors() -> AsyncIterator[None]:
    """Turn an unreachable or failing store into one clear UnavailableError."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("store error during a tool run: %s", exc)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnavailableError(
            f"the database is unavailable ({reason}); nothing ran, try again shortly"
        ) from None


async def _test_source(
    session: AsyncSession, server: Server, tool: str | None, code: str | None
) -> tuple[str, bool, str]:
    """(code, is it the approved code, a name for messages) for a test run."""
    if (tool is None) == (code is None):
        raise InvalidInputError.of_fields(
            "nothing to test",
            [FieldError("tool", "give either a saved tool's name or unsaved code, not both")],
        )
    if code is not None:
        return code, False, f"code for server {server.name!r}"
    row = await session.scalar(
        select(Tool)
        .where(Tool.server_id == server.id, Tool.name == tool)
        .options(selectinload(Tool.current_version))
    )
    if row is None or row.current_version is None:
        raise NotFoundError(
            f"server {server.name!r} has no tool {tool!r}; polybox_list_tools shows its tools"
        )
    approved = (
        row.status is ToolStatus.APPROVED and row.approved_version_id == row.current_version_id
    )
    return row.current_version.code, approved, f"{server.name}{SEPARATOR}{row.name}"


def _check_test_policy(settings: ForgeSettings, actor: Actor, *, approved: bool) -> None:
    if approved or actor.is_admin or settings.tool_approval_mode != "require_approval":
        return
    if settings.test_before_approval or (settings.local_test_before_approval and not actor.remote):
        return
    setting = "test_before_approval" if actor.remote else "local_test_before_approval"
    raise ForbiddenError(
        "polybox_test_code runs only approved code while tools need an admin's approval; save "
        "the tool and ask for review with polybox_request_publish, or ask an admin to turn on "
        f"the {setting} setting"
    )


def _shape(result: RunResult, *, wraps: bool) -> tuple[dict[str, Any] | None, str, str | None]:
    """(structured, text, error) for MCP: an object result and its JSON, or the error line.

    `wraps`: the tool's output schema is the `{"result": ...}` wrapper, even for a dict.
    """
    if result.error is not None:
        message = _error_line(result.error)
        return None, message, message
    structured = structured_content(result.result, wraps=wraps)
    return structured, json.dumps(structured, ensure_ascii=False), None


def _error_line(error: ToolError) -> str:
    where = f" (line {error.line})" if error.line is not None else ""
    return f"{error.type}: {error.message}{where}"


def _error_record(error: ToolError) -> dict[str, Any]:
    return {
        "type": error.type,
        "message": error.message,
        "line": error.line,
        "traceback": error.traceback,
    }


def _status(error: ToolError | None) -> ExecutionStatus:
    """ok / error / timeout. The pool reports its own time-out as a TimeoutError with no line
    (a TimeoutError raised by the tool's code carries the line it came from)."""
    if error is None:
        return ExecutionStatus.OK
    if error.type == "TimeoutError" and error.line is None and not error.traceback:
        return ExecutionStatus.TIMEOUT
    return ExecutionStatus.ERROR


def _json(value: Mapping[str, Any]) -> JsonValue:
    """Arguments as plain JSON (they came from a JSON request; this only fixes the type)."""
    loaded: JsonValue = json.loads(json.dumps(value))
    return loaded


def _dict(value: JsonValue) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
