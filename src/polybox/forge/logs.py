"""Execution logs: one row per forged-tool call, written after the call, read by admins and LLMs.

A row keeps what is needed to understand a call without keeping everything: arguments, result
and printed output are capped at LOG_FIELD_LIMIT bytes each (and say so when cut), and the runner
hands them over already redacted when `redact_secrets_in_output` is on. Rows are written in their
own transaction after the call; `ExecutionLogWriter` keeps the rows the store refused and writes
them with the next one, so a store outage loses no log of a completed call (up to BACKLOG_LIMIT).
`polybox_test_code` runs are not execution logs (see runner.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge.errors import FieldError, InvalidInputError, NotFoundError
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.schemas import ExecutionLogOut
from polybox.forge.servers import find_server
from polybox.forge.unit import transaction
from polybox.sandbox.redaction import JsonValue
from polybox.store.enums import ExecutionStatus
from polybox.store.models import ExecutionLog, Tool

logger = logging.getLogger(__name__)

LOG_FIELD_LIMIT = 16_384
BACKLOG_LIMIT = 1000
_CLIENT_ID_CHARS = 255


@dataclass(frozen=True)
class ExecutionRecord:
    """One finished call as it will be stored (already redacted when the setting says so)."""

    server_id: int | None
    tool_id: int | None
    server_name: str
    tool_name: str
    status: ExecutionStatus
    arguments: dict[str, Any]
    result: JsonValue
    stdout: str
    error: dict[str, Any] | None
    duration_ms: float
    client_id: str | None

    def row(self) -> ExecutionLog:
        """The row to insert: fields capped, the client id cut to its column."""
        arguments = capped_json(self.arguments)
        return ExecutionLog(
            server_id=self.server_id,
            tool_id=self.tool_id,
            server_name=self.server_name,
            tool_name=self.tool_name,
            status=self.status,
            arguments=arguments if isinstance(arguments, dict) else {},
            result=capped_json(self.result),
            stdout=capped_text(self.stdout),
            error=self.error,
            duration_ms=self.duration_ms,
            client_id=None if self.client_id is None else self.client_id[:_CLIENT_ID_CHARS],
        )


def capped_json(value: JsonValue, limit: int = LOG_FIELD_LIMIT) -> JsonValue:
    """`value` itself when its JSON fits in `limit` bytes, else an object saying it was cut.

    The replacement is `{"truncated": true, "original_bytes": n, "preview": "<first bytes>"}`
    (an object, so it fits the arguments column too).
    """
    text = json.dumps(value, ensure_ascii=False)
    size = len(text.encode("utf-8"))
    if size <= limit:
        return value
    preview = text.encode("utf-8")[:limit].decode("utf-8", "ignore")
    return {"truncated": True, "original_bytes": size, "preview": preview}


def capped_text(text: str, limit: int = LOG_FIELD_LIMIT) -> str:
    """`text` cut to `limit` bytes, ending with a line that says how much was cut."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    kept = raw[:limit].decode("utf-8", "ignore")
    return f"{kept}\n[cut: {len(raw)} bytes in all, {limit} kept]"


class ExecutionLogWriter:
    """Writes execution logs, each in its own transaction, never losing one to a brief outage.

    A write tries twice (a connection dropped by a database restart is replaced on the retry);
    if both fail, the records wait in a backlog (oldest dropped past BACKLOG_LIMIT, with an error
    logged) and go in with the next write that succeeds.
    """

    def __init__(self) -> None:
        self._backlog: list[ExecutionRecord] = []

    @property
    def backlog(self) -> int:
        """Records waiting for the store."""
        return len(self._backlog)

    async def write(
        self, sessions: async_sessionmaker[AsyncSession], record: ExecutionRecord
    ) -> int | None:
        """Store `record` (and any backlog); its id, or None when it had to wait in the backlog.

        Never raises for store errors: the call it describes has already happened.
        """
        batch, self._backlog = [*self._backlog, record], []
        for attempt in (1, 2):
            try:
                return await _insert(sessions, batch)
            except IntegrityError:
                # The server or tool was deleted meanwhile; the names still say what ran.
                batch = [replace(item, server_id=None, tool_id=None) for item in batch]
            except (SQLAlchemyError, OSError) as exc:
                logger.warning("execution log write failed (attempt %d): %s", attempt, exc)
        self._keep(batch)
        return None

    def _keep(self, batch: list[ExecutionRecord]) -> None:
        kept = [*batch, *self._backlog]
        dropped = len(kept) - BACKLOG_LIMIT
        if dropped > 0:
            logger.error("execution log backlog full: dropped the %d oldest logs", dropped)
            kept = kept[dropped:]
        self._backlog = kept


async def _insert(sessions: async_sessionmaker[AsyncSession], batch: list[ExecutionRecord]) -> int:
    rows = [item.row() for item in batch]
    async with transaction(sessions, None) as session:
        session.add_all(rows)
        await session.flush()
    return rows[-1].id


async def get_tool_logs(
    session: AsyncSession,
    server: str | int,
    tool: str | None = None,
    status: str | None = None,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[ExecutionLogOut]:
    """A server's execution logs (or one tool's), newest first, optionally of one status."""
    found = await find_server(session, server)
    query = select(ExecutionLog).where(ExecutionLog.server_id == found.id)
    if status is not None:
        try:
            query = query.where(ExecutionLog.status == ExecutionStatus(status))
        except ValueError:
            allowed = ", ".join(ExecutionStatus)
            raise InvalidInputError.of_fields(
                "invalid log filter", [FieldError("status", f"must be one of {allowed}")]
            ) from None
    if tool is not None:
        tool_id = await session.scalar(
            select(Tool.id).where(Tool.server_id == found.id, Tool.name == tool)
        )
        if tool_id is None:
            raise NotFoundError(
                f"server {found.name!r} has no tool {tool!r}; polybox_list_tools shows its tools"
            )
        query = query.where(ExecutionLog.tool_id == tool_id)
    query = query.order_by(ExecutionLog.created_at.desc(), ExecutionLog.id.desc())
    return await paginate(session, query, log_out, page=page, page_size=page_size)


def log_out(row: ExecutionLog) -> ExecutionLogOut:
    return ExecutionLogOut(
        id=row.id,
        server=row.server_name,
        tool=row.tool_name,
        status=row.status,
        arguments=row.arguments,
        result=row.result,
        stdout=row.stdout,
        error=row.error,
        duration_ms=row.duration_ms,
        client_id=row.client_id,
        created_at=row.created_at,
    )
