"""Execution logs: one row per forged-tool call, written after the call, read by admins and LLMs.

A row keeps what is needed to understand a call without keeping everything: arguments, result
and printed output are capped at LOG_FIELD_LIMIT bytes each (and say so when cut), and the runner
hands them over already redacted when `redact_secrets_in_output` is on. Rows are written after
the call, off its path: `ExecutionLogWriter` batches them (a log shows up within about
FLUSH_INTERVAL) and keeps the rows the store refused until it takes them, so a store outage loses
no log of a completed call (up to BACKLOG_LIMIT waiting).
`polybox_test_code` runs are not execution logs (see runner.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
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
from polybox.store.models import ExecutionLog, Server, Tool

logger = logging.getLogger(__name__)

LOG_FIELD_LIMIT = 16_384
BACKLOG_LIMIT = 1000
BATCH_SIZE = 100
FLUSH_INTERVAL = 0.05  # seconds a record may wait for others to share its transaction
RETRY_DELAYS = (0.1, 5.0)  # first and longest wait before writing again to a failing store
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
    """Writes execution logs off the call path, in batches, never losing one to a brief outage.

    `submit` only queues the record: a background task (started by the first submit, bound to
    that store) writes what gathered every FLUSH_INTERVAL seconds, or at once when BATCH_SIZE
    records wait, in one transaction. A batch the store refuses stays first in line and is
    retried with backoff (up to RETRY_DELAYS[1] apart), so no completed call's log is lost to a
    database restart; past BACKLOG_LIMIT waiting records the oldest are dropped, with an error
    logged. `close` writes what is left.
    """

    def __init__(self) -> None:
        self._waiting: deque[ExecutionRecord] = deque()
        self._writing = 0  # records in the batch being written
        self._dropped = 0  # records dropped since the last successful write
        self._lock = asyncio.Lock()  # one batch at a time, in order
        self._arrived = asyncio.Event()  # something waits (set on the first record)
        self._due = asyncio.Event()  # write now: a full batch
        self._drained = asyncio.Event()  # nothing waits
        self._drained.set()
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def backlog(self) -> int:
        """Records submitted and not stored yet."""
        return len(self._waiting) + self._writing

    def submit(self, sessions: async_sessionmaker[AsyncSession], record: ExecutionRecord) -> None:
        """Queue `record` for the store behind `sessions` (the same store on every call)."""
        if len(self._waiting) >= BACKLOG_LIMIT:
            self._waiting.popleft()
            if not self._dropped:
                logger.error("execution log backlog full: dropping the oldest logs")
            self._dropped += 1
        self._waiting.append(record)
        self._drained.clear()
        self._arrived.set()
        if len(self._waiting) >= BATCH_SIZE:
            self._due.set()
        if self._task is None:
            self._sessions = sessions
            self._task = asyncio.get_running_loop().create_task(
                self._write_forever(sessions), name="polybox-execution-logs"
            )

    async def drained(self) -> None:
        """Return once every submitted record is stored, at the writer's own pace."""
        await self._drained.wait()

    async def flush(self) -> bool:
        """Write everything waiting now (one attempt per batch); whether nothing waits after."""
        if self._sessions is None:
            return True
        while self._waiting:
            if not await self._write_batch(self._sessions):
                return False
        return self.backlog == 0

    async def close(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a shutdown budget
        """Write what waits (retrying for up to `timeout` seconds), then stop the writer."""
        if self._task is None:
            return
        self._closing = True
        self._arrived.set()
        self._due.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            async with asyncio.timeout(timeout):
                await self._task  # cancelled at the deadline
        self._task = None
        if self.backlog:
            logger.error("execution logs lost at shutdown: %d not written", self.backlog)

    async def _write_forever(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        delay = RETRY_DELAYS[0]
        while True:
            await self._arrived.wait()
            await _wait(self._due, FLUSH_INTERVAL)  # let a batch gather
            while self._waiting:
                if await self._write_batch(sessions):
                    delay = RETRY_DELAYS[0]
                    continue
                await asyncio.sleep(delay)  # backoff while the store is away
                delay = min(delay * 2, RETRY_DELAYS[1])
            if self._closing:
                return
            self._arrived.clear()
            self._due.clear()

    async def _write_batch(self, sessions: async_sessionmaker[AsyncSession]) -> bool:
        """Store the oldest BATCH_SIZE records; put them back first in line if the store fails."""
        async with self._lock:
            batch = [self._waiting.popleft() for _ in range(min(BATCH_SIZE, len(self._waiting)))]
            self._writing, stored = len(batch), False
            try:
                stored = await _store(sessions, batch)
            finally:  # a failed or cancelled write keeps its records
                self._writing = 0
                if not stored:
                    self._waiting.extendleft(reversed(batch))
            if not self.backlog:
                self._drained.set()
            if stored and self._dropped:
                logger.error("execution log backlog was full: %d logs lost", self._dropped)
                self._dropped = 0
            return stored


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


async def _store(sessions: async_sessionmaker[AsyncSession], batch: list[ExecutionRecord]) -> bool:
    """Insert `batch` in one transaction; False (logged) if the store refused it.

    Tries twice: a connection dropped by a database restart is replaced on the retry, and a
    server or tool deleted meanwhile loses its id (the names still say what ran).
    """
    for attempt in (1, 2):
        try:
            async with transaction(sessions, None) as session:
                session.add_all([item.row() for item in batch])
            return True
        except IntegrityError:
            batch[:] = await _without_deleted(sessions, batch)
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("execution log write failed (attempt %d): %s", attempt, exc)
    return False


async def _without_deleted(
    sessions: async_sessionmaker[AsyncSession], batch: list[ExecutionRecord]
) -> list[ExecutionRecord]:
    """`batch` with the ids of servers and tools that no longer exist set to None."""
    server_ids = {item.server_id for item in batch if item.server_id is not None}
    tool_ids = {item.tool_id for item in batch if item.tool_id is not None}
    async with sessions() as session:
        servers = set(await session.scalars(select(Server.id).where(Server.id.in_(server_ids))))
        tools = set(await session.scalars(select(Tool.id).where(Tool.id.in_(tool_ids))))
    return [
        replace(
            item,
            server_id=item.server_id if item.server_id in servers else None,
            tool_id=item.tool_id if item.tool_id in tools else None,
        )
        for item in batch
    ]


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
