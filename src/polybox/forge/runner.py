"""Running forged tools: a client's call of `<server>__<tool>`, and `polybox_test_code` runs.

A call is checked against the store at call time (not a cache): the tool must exist, be approved
and enabled, and its server running, so a revoke or stop takes effect at once on every replica.
Arguments are validated against the tool's input schema before any code runs. The code runs in
the pool with its server's secrets, egress policy and import allow-list, in a worker bound to that
server (`scope`), under `call_timeout_seconds`. The outcome is logged in its own transaction
afterwards (see logs.py); a failed log write never fails the call.

Test runs are not written to the execution logs: those record what ran for clients (approved
code), and a test run's outcome goes straight back to its caller. Each test run is recorded in the
activity log instead (who ran which code on which server, and how it ended).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from polybox.config import Settings
from polybox.crypto import SecretBox
from polybox.events import EventBus
from polybox.forge.actors import Actor
from polybox.forge.arguments import check_arguments
from polybox.forge.code import analyze_code
from polybox.forge.errors import (
    FieldError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from polybox.forge.logs import ExecutionLogWriter, ExecutionRecord
from polybox.forge.schemas import CallOutcome, ErrorDetail, TestCodeResult
from polybox.forge.secrets import server_secrets
from polybox.forge.servers import find_server
from polybox.forge.settings import ForgeSettings, get_settings
from polybox.forge.unit import record_activity, transaction
from polybox.sandbox.egress import EgressPolicy
from polybox.sandbox.python import PoolBusyError, PythonPool, RunResult, ToolError
from polybox.sandbox.redaction import JsonValue, Redactor
from polybox.store.enums import ExecutionStatus, ServerStatus, ToolStatus
from polybox.store.models import Server, Tool, ToolVersion

logger = logging.getLogger(__name__)

SEPARATOR = "__"
_NO_SANDBOX = (
    "tool code cannot run: this polybox has no sandbox backend{detail}. Set POLYBOX_SANDBOX "
    "(bwrap, docker, or unsafe-local to run without isolation) and run `polybox doctor` to see "
    "what is missing"
)


@dataclass(frozen=True)
class _Run:
    """Everything the pool needs for one run of a server's code, read in one transaction."""

    server: Server
    code: str
    output_schema: dict[str, Any] | None
    secrets: dict[str, str]
    egress: EgressPolicy
    modules: frozenset[str]
    redact: bool


class ToolRunner:
    """Runs forged tools and test code in the pool; one per process, shared by every surface.

    `pool` is None when the process has no sandbox backend (`sandbox_problem` says why); every
    run then fails with UnavailableError.
    """

    def __init__(
        self,
        pool: PythonPool | None,
        secret_box: SecretBox,
        settings: Settings,
        *,
        sandbox_problem: str | None = None,
    ) -> None:
        self.pool = pool
        self.secret_box = secret_box
        self.settings = settings
        self.logs = ExecutionLogWriter()
        self._sandbox_problem = sandbox_problem

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
        InvalidInputError (arguments not matching the schema, every bad field listed).
        """
        pool = self._pool()
        args = dict(arguments or {})
        async with _store_errors(), transaction(sessions, events) as session:
            tool, server, version = await _callable_tool(session, public_name)
            check_arguments(public_name, version.input_schema, args)
            run = await self._prepare(session, server, version.code, version.output_schema)
        result = await self._execute(pool, run, args)
        structured, text, error = _shape(result, run.output_schema)
        redactor = Redactor(run.secrets.values() if run.redact else ())
        record = ExecutionRecord(
            server_id=run.server.id,
            tool_id=tool.id,
            server_name=run.server.name,
            tool_name=tool.name,
            status=_status(result.error),
            arguments=_dict(redactor.value(_json(args))),
            result=result.result,
            stdout=result.stdout,
            error=None if result.error is None else _error_record(result.error),
            duration_ms=result.duration_ms,
            client_id=actor.client_id,
        )
        log_id = await self.logs.write(sessions, record)
        return CallOutcome(
            ok=result.ok,
            structured=structured,
            text=text,
            error=error,
            duration_ms=result.duration_ms,
            log_id=log_id,
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
    ) -> TestCodeResult:
        """Run a saved tool's current code (`tool`) or unsaved `code` for `server`, sandboxed.

        Policy: with tool_approval_mode=require_approval only approved code runs unless the
        admin turned on test_before_approval (admins may always test: reviewing is their job).
        Raises InvalidInputError for bad code or arguments, ForbiddenError for the policy.
        """
        pool = self._pool()
        args = dict(arguments or {})
        async with _store_errors(), transaction(sessions, None) as session:
            found = await find_server(session, server)
            source, approved, name = await _test_source(session, found, tool, code)
            settings = await get_settings(session)
            _check_test_policy(settings, actor, approved=approved)
            run = await self._prepare(session, found, source, None, settings=settings)
            report = analyze_code(
                source, allowed_modules=run.modules, allowed_hosts=found.allowed_hosts
            )
            if report.errors:
                problems = [FieldError("code", str(issue)) for issue in report.errors]
                raise InvalidInputError.of_fields("the code cannot run", problems)
            check_arguments(name, report.input_schema or {}, args)
        result = await self._execute(pool, run, args)
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

    async def _prepare(
        self,
        session: AsyncSession,
        server: Server,
        code: str,
        output_schema: dict[str, Any] | None,
        *,
        settings: ForgeSettings | None = None,
    ) -> _Run:
        """Secrets, egress policy and allowed modules of `server` under the current settings."""
        settings = settings or await get_settings(session)
        return _Run(
            server=server,
            code=code,
            output_schema=output_schema,
            secrets=await server_secrets(session, self.secret_box, server.id),
            egress=EgressPolicy(
                allowed_hosts=frozenset(server.allowed_hosts),
                private_hosts=frozenset(settings.private_hosts),
                allow_public=settings.network_access_policy == "allow_all_public",
                timeout=self.settings.egress_timeout_seconds,
                max_response_bytes=self.settings.egress_max_response_bytes,
            ),
            # Approved module requests are written into these two lists (requests.py).
            modules=frozenset(settings.allowed_modules) | frozenset(server.allowed_modules),
            redact=settings.redact_secrets_in_output,
        )

    async def _execute(self, pool: PythonPool, run: _Run, args: dict[str, Any]) -> RunResult:
        try:
            return await pool.run(
                run.code,
                args,
                scope=f"server:{run.server.id}",
                secrets=run.secrets,
                egress=run.egress,
                allowed_modules=run.modules,
                timeout=self.settings.call_timeout_seconds,
                redact=run.redact,
            )
        except PoolBusyError as exc:
            raise UnavailableError(f"the sandbox is busy ({exc}); try again shortly") from None


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


async def _callable_tool(
    session: AsyncSession, public_name: str
) -> tuple[Tool, Server, ToolVersion]:
    """The tool behind `public_name` if a client may call it now, else an error saying why.

    One statement (tool, server and approved version joined): this runs on every call.
    """
    server_name, _, tool_name = public_name.partition(SEPARATOR)
    found = (
        await session.execute(
            select(Tool, Server, ToolVersion)
            .join(Server, Tool.server_id == Server.id)
            .outerjoin(ToolVersion, Tool.approved_version_id == ToolVersion.id)
            .where(Server.name == server_name, Tool.name == tool_name)
        )
    ).first()
    if found is None or not tool_name:
        raise NotFoundError(f"no tool {public_name!r}; tools/list shows the callable tools")
    row, server, version = found
    if row.status is not ToolStatus.APPROVED or version is None:
        raise ForbiddenError(
            f"tool {public_name!r} is {row.status.value.replace('_', ' ')}, not approved; "
            "only approved tools can be called (polybox_request_publish asks an admin)"
        )
    if not row.enabled:
        raise ForbiddenError(f"tool {public_name!r} is disabled by an admin")
    if server.status is not ServerStatus.RUNNING:
        raise UnavailableError(f"server {server_name!r} is stopped; polybox_start_server starts it")
    return row, server, version


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
    if settings.test_before_approval:
        return
    raise ForbiddenError(
        "polybox_test_code runs only approved code while tools need an admin's approval; save "
        "the tool and ask for review with polybox_request_publish, or ask an admin to turn on "
        "the test_before_approval setting"
    )


def _wraps_result(output_schema: dict[str, Any] | None) -> bool:
    """Whether the declared output is the `{"result": ...}` wrapper of a non-object return."""
    if not output_schema:
        return False
    return output_schema.get("required") == ["result"] and set(
        output_schema.get("properties", {})
    ) == {"result"}


def _shape(
    result: RunResult, output_schema: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, str, str | None]:
    """(structured, text, error) for MCP: an object result and its JSON, or the error line."""
    if result.error is not None:
        message = _error_line(result.error)
        return None, message, message
    value = result.result
    if isinstance(value, dict) and not _wraps_result(output_schema):
        structured: dict[str, Any] = value
    else:
        structured = {"result": value}
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
