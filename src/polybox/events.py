"""Change events between the parts of one process and between processes on one store.

A service publishes a small event after it commits a change (`tool.added`, ids and names only);
whoever caches that data (the MCP tool list, warm workers) subscribes and invalidates. Publishers
always deliver to local subscribers at once. Other processes on the same store hear about it too:

- PostgreSQL: events travel over LISTEN/NOTIFY, so every replica receives them; a replica ignores
  its own events coming back.
- SQLite (typically `polybox stdio` for a desktop client next to `polybox serve` for the admin UI,
  on one file): every publish also bumps a counter in the database header (`PRAGMA
  user_version`, a tiny write transaction); each process polls that counter on a dedicated
  connection (every 0.5 s by default) and, when another process bumped it, delivers `bus.resync`
  locally. `PRAGMA data_version` is not used for this: it changes on every commit of any other
  connection, including this process's own pool (an execution log per tool call), so it cannot
  tell another process's change from ours.

Delivery is best effort, and the bus says when it may have lost something: a subscriber then
receives a `bus.resync` event and should reload whatever it caches. That happens when its queue
overflowed (a slow subscriber never blocks publishers: the oldest events are dropped), after the
PostgreSQL listener reconnected (events published meanwhile by other replicas are gone), and on
SQLite whenever another process published (only the fact crosses processes, not the event).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Self, TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL

from polybox.store.engine import SQLITE_BUSY_TIMEOUT_MS, store_url
from polybox.store.errors import StoreUnavailable, describe_connect_error
from polybox.store.types import utcnow

_T = TypeVar("_T")
logger = logging.getLogger(__name__)

CHANNEL = "polybox_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; the limit holds on every backend so
# code tested on SQLite does not break on PostgreSQL.
MAX_PAYLOAD_BYTES = 7999
DEFAULT_QUEUE_SIZE = 1000
_OPERATION_TIMEOUT = 5.0  # seconds for connect, NOTIFY and health checks on the listener
_COUNTER_MODULUS = 2**31  # SQLite's user_version is a signed 32-bit integer

Scalar = str | int | float | bool | None


class EventKind(StrEnum):
    TOOL_ADDED = "tool.added"
    TOOL_CHANGED = "tool.changed"  # code, schema, description, enabled
    TOOL_REMOVED = "tool.removed"
    SERVER_STARTED = "server.started"
    SERVER_STOPPED = "server.stopped"
    SERVER_CHANGED = "server.changed"  # allow-lists, secrets, settings of a server
    SERVER_REMOVED = "server.removed"
    APPROVAL_CHANGED = "approval.changed"  # tool, module or network approval decided
    SETTINGS_CHANGED = "settings.changed"
    WORKSPACE_STARTED = "workspace.started"  # a .NET workspace was created
    WORKSPACE_STOPPED = "workspace.stopped"  # stopped or cleaned up (by whom: the activity log)
    RESYNC = "bus.resync"  # local only: events may have been lost, reload what you cache


class EventTooLarge(ValueError):
    """The event does not fit a NOTIFY payload; send ids, not content."""


@dataclass(frozen=True, slots=True)
class Event:
    """One change: what happened (`kind`), to what (`data`: ids and names), where, when."""

    kind: EventKind
    data: Mapping[str, Scalar]
    origin: str  # replica id of the publisher
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    at: datetime = field(default_factory=utcnow)

    def to_json(self) -> str:
        body = {
            "kind": self.kind.value,
            "data": dict(self.data),
            "origin": self.origin,
            "id": self.id,
            "at": self.at.isoformat(),
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Event:
        """Parse a payload; ValueError (incl. KeyError/TypeError causes) if it is not an event."""
        try:
            body = json.loads(text)
            return cls(
                kind=EventKind(body["kind"]),
                data=dict(body["data"]),
                origin=str(body["origin"]),
                id=str(body["id"]),
                at=datetime.fromisoformat(body["at"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a polybox event: {text[:200]!r}") from exc


class Subscription:
    """A bounded queue of events for one consumer; iterate it with `async for`.

    When full, the oldest event is dropped and the consumer gets a `bus.resync` event (with the
    number dropped) before the remaining ones. Iteration ends when the subscription or the bus
    is closed.
    """

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("a subscription needs room for at least one event")
        self._bus = bus
        self._queue: deque[Event] = deque(maxlen=maxsize)
        self._unreported_drops = 0
        self._wakeup = asyncio.Event()
        self._closed = False
        self.dropped = 0  # events lost to overflow over the subscription's life

    def push(self, event: Event) -> None:
        """Queue an event without ever waiting (called by the bus)."""
        if self._closed:
            return
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
            self._unreported_drops += 1
        self._queue.append(event)
        self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._bus.unsubscribe(self)
        self._wakeup.set()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        while True:
            if self._unreported_drops:
                dropped, self._unreported_drops = self._unreported_drops, 0
                data: dict[str, Scalar] = {"reason": "overflow", "dropped": dropped}
                return Event(EventKind.RESYNC, data, origin=self._bus.replica_id)
            if self._queue:
                return self._queue.popleft()
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


class EventBus(ABC):
    """Publish/subscribe of change events. `start()` before use, `close()` at shutdown."""

    def __init__(self, replica_id: str | None = None) -> None:
        self.replica_id = replica_id or uuid.uuid4().hex[:12]
        self._subscriptions: set[Subscription] = set()
        self._sequence = 0

    @property
    def sequence(self) -> int:
        """How many events this bus has delivered here, resyncs included.

        It moves synchronously inside `publish` (and on every event from another process), so a
        cache that noted it when it read the store knows, without waiting for any subscriber
        task, that something may have changed since.
        """
        return self._sequence

    @property
    def listening(self) -> bool:
        """Whether other processes' changes reach this bus now; while False, trust no cache."""
        return True

    @abstractmethod
    async def start(self) -> None:
        """Connect whatever the backend needs; raises StoreUnavailable if it cannot."""

    async def close(self) -> None:
        """Stop delivering; every subscription's iteration ends."""
        for subscription in list(self._subscriptions):
            subscription.close()

    def subscribe(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> Subscription:
        """A new subscription receiving every event published from now on."""
        subscription = Subscription(self, maxsize)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    async def publish(
        self, kind: EventKind | str, data: Mapping[str, Scalar] | None = None
    ) -> Event:
        """Deliver an event locally at once, then to other replicas (backend permitting).

        Raises EventTooLarge if it would not fit a NOTIFY payload, ValueError for an unknown
        kind or `bus.resync` (which only the bus emits).
        """
        event = Event(EventKind(kind), dict(data or {}), origin=self.replica_id)
        if event.kind is EventKind.RESYNC:
            raise ValueError("bus.resync is emitted by the bus itself, not published")
        payload = event.to_json()
        size = len(payload.encode())
        if size > MAX_PAYLOAD_BYTES:
            raise EventTooLarge(
                f"{event.kind} event is {size} bytes; the limit is {MAX_PAYLOAD_BYTES}"
            )
        self._deliver(event)
        await self._send(payload)
        return event

    def _deliver(self, event: Event) -> None:
        self._sequence += 1
        for subscription in list(self._subscriptions):
            subscription.push(event)

    def _resync(self, reason: str) -> None:
        self._deliver(Event(EventKind.RESYNC, {"reason": reason}, origin=self.replica_id))

    @abstractmethod
    async def _send(self, payload: str) -> None:
        """Hand a serialised event to the other replicas."""


class InProcessEventBus(EventBus):
    """The bus of a single process: local subscribers only."""

    async def start(self) -> None:
        return None

    async def _send(self, payload: str) -> None:
        return None


class SqliteEventBus(EventBus):
    """Local delivery, plus a `bus.resync` in every other process on the same SQLite file.

    Publishing bumps the file's `user_version` counter (kept modulo 2**31); a poller reads it every
    `poll_interval` seconds and resyncs when it moved by more than this bus's own bumps. A bump
    that cannot be written (the file stays locked past the busy timeout) is logged: other
    processes then miss that change until the next one.
    """

    def __init__(
        self, url: str | URL, *, replica_id: str | None = None, poll_interval: float = 0.5
    ) -> None:
        super().__init__(replica_id)
        self.url = store_url(url)
        self.path = self.url.database or ""
        self._poll_interval = poll_interval
        self._connection: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()  # one operation at a time; bumps and polls never interleave
        self._seen = 0  # the counter at the last poll
        self._own_bumps = 0  # bumps by this bus since the last poll
        self._poller: asyncio.Task[None] | None = None
        # Every use of the connection runs on this one thread, in order: a caller cancelled while
        # its read runs must not let close() free the connection under it (sqlite3 crashes then).
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polybox-event-bus")

    async def _on_thread(self, work: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, *args)

    async def start(self) -> None:
        try:
            self._connection = await self._on_thread(self._open)
            self._seen = await self._on_thread(self._read_counter, self._connection)
        except sqlite3.Error as exc:
            raise StoreUnavailable(self.url, f"cannot open {self.path}: {exc}") from exc
        self._poller = asyncio.create_task(self._poll_forever(), name="polybox-event-poller")

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        async with self._lock:
            if self._connection is not None:
                await self._on_thread(self._connection.close)
                self._connection = None
        self._thread.shutdown(wait=False)
        await super().close()

    @property
    def listening(self) -> bool:
        return self._connection is not None

    async def poll(self) -> bool:
        """Check the counter once; deliver `bus.resync` (and return True) if another process
        published since the last check. The poller calls this; tests may too."""
        async with self._lock:
            if self._connection is None:
                return False
            counter = await self._on_thread(self._read_counter, self._connection)
            moved = (counter - self._seen) % _COUNTER_MODULUS
            self._seen, own, self._own_bumps = counter, self._own_bumps, 0
        if moved == own:
            return False
        self._resync("another process changed the store")
        return True

    async def _send(self, payload: str) -> None:
        async with self._lock:
            if self._connection is None:
                return
            try:
                await self._on_thread(self._bump, self._connection)
            except sqlite3.Error as exc:
                logger.warning("event bus: other processes will miss this change: %s", exc)
                return
            self._own_bumps += 1

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval)
            try:
                await self.poll()
            except sqlite3.Error as exc:
                logger.warning("event bus: cannot read the change counter: %s", exc)

    def _open(self) -> sqlite3.Connection:
        timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
        return sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )

    @staticmethod
    def _read_counter(connection: sqlite3.Connection) -> int:
        (counter,) = connection.execute("PRAGMA user_version").fetchone()
        return int(counter)

    @staticmethod
    def _bump(connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN IMMEDIATE")
        try:
            (counter,) = connection.execute("PRAGMA user_version").fetchone()
            following = (int(counter) + 1) % _COUNTER_MODULUS
            connection.execute(f"PRAGMA user_version = {following}")  # PRAGMA takes no parameters
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise


class PostgresEventBus(EventBus):
    """LISTEN/NOTIFY on one dedicated connection, reconnected with backoff when it drops.

    Events published while the connection is down are kept (up to `outbox_size`) and sent once
    it is back; local subscribers get `bus.resync` after every reconnect.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        replica_id: str | None = None,
        channel: str = CHANNEL,
        health_interval: float = 10.0,
        reconnect_delays: tuple[float, float] = (0.1, 5.0),
        outbox_size: int = 1000,
    ) -> None:
        super().__init__(replica_id)
        self.url = store_url(url)
        self.channel = channel
        self._health_interval = health_interval
        self._first_delay, self._max_delay = reconnect_delays
        self._outbox: deque[str] = deque(maxlen=outbox_size)
        self._connection: Any = None
        self._lock = asyncio.Lock()  # one operation at a time on the asyncpg connection
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            self._connection = await self._open()
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            raise StoreUnavailable(self.url, describe_connect_error(exc, self.url)) from exc
        self._supervisor = asyncio.create_task(self._supervise(), name="polybox-event-listener")

    async def close(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        if self._connection is not None:
            try:
                await self._connection.close(timeout=2)
            except (OSError, TimeoutError, asyncpg.InterfaceError):
                self._connection.terminate()
            self._connection = None
        await super().close()

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._lost.is_set()

    async def _send(self, payload: str) -> None:
        async with self._lock:
            if self._connection is not None and not self._connection.is_closed():
                try:
                    notify = "SELECT pg_notify($1, $2)"
                    await self._connection.execute(
                        notify, self.channel, payload, timeout=_OPERATION_TIMEOUT
                    )
                    return
                except (
                    OSError,
                    TimeoutError,
                    asyncpg.PostgresError,
                    asyncpg.InterfaceError,
                ) as exc:
                    logger.warning("event bus: NOTIFY failed, will resend: %s", exc)
            self._outbox.append(payload)
            self._lost.set()

    async def _open(self) -> Any:
        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn, timeout=_OPERATION_TIMEOUT)
        connection.add_termination_listener(self._on_terminated)
        await connection.add_listener(self.channel, self._on_notification)
        return connection

    def _on_terminated(self, _connection: object) -> None:
        self._lost.set()

    def _on_notification(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = Event.from_json(payload)
        except ValueError:
            logger.warning("event bus: ignored a malformed payload on %s", self.channel)
            return
        if event.origin != self.replica_id:
            self._deliver(event)

    async def _supervise(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self._health_interval)
            if not self._lost.is_set() and await self._healthy():
                continue
            logger.warning("event bus: lost the PostgreSQL listener; reconnecting")
            await self._reconnect()
            # Listening again and resync in one step: no cache is trusted in between.
            self._lost.clear()
            self._resync("reconnected")
            await self._flush_outbox()
            logger.info("event bus: listening again on %s", self.channel)

    async def _healthy(self) -> bool:
        async with self._lock:
            try:
                await self._connection.execute("SELECT 1", timeout=_OPERATION_TIMEOUT)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return False
            return True

    async def _reconnect(self) -> None:
        """Replace the connection, retrying with backoff; publishers meanwhile use the outbox."""
        async with self._lock:
            lost, self._connection = self._connection, None
        if lost is not None:
            lost.terminate()
        delay = self._first_delay
        while True:
            try:
                connection = await self._open()
                break
            except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
                reason = describe_connect_error(exc, self.url)
                logger.warning("event bus: reconnect failed (%s); retrying in %.1fs", reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_delay)
        async with self._lock:
            self._connection = connection

    async def _flush_outbox(self) -> None:
        while self._outbox and not self._lost.is_set():
            await self._send(self._outbox.popleft())


def create_event_bus(url: str | URL, *, replica_id: str | None = None) -> EventBus:
    """The bus matching the store: LISTEN/NOTIFY on PostgreSQL, a polled counter on SQLite."""
    parsed = store_url(url)
    if parsed.get_backend_name() == "postgresql":
        return PostgresEventBus(parsed, replica_id=replica_id)
    return SqliteEventBus(parsed, replica_id=replica_id)
