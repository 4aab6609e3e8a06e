"""The event bus: local fan-out, overflow, SQLite processes on one file, LISTEN/NOTIFY replicas."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import URL

from polybox.events import (
    MAX_PAYLOAD_BYTES,
    Event,
    EventBus,
    EventKind,
    EventTooLarge,
    InProcessEventBus,
    PostgresEventBus,
    SqliteEventBus,
    Subscription,
    create_event_bus,
)
from polybox.store.errors import StoreUnavailable
from postgres_cluster import PostgresServer

pytestmark = pytest.mark.anyio
DEADLINE = 15.0


async def _next(subscription: Subscription) -> Event:
    with anyio.fail_after(DEADLINE):
        return await anext(subscription)


async def _next_resync(subscription: Subscription) -> Event:
    """The next bus.resync event, skipping ordinary ones (e.g. this bus's own publications)."""
    with anyio.fail_after(DEADLINE):
        async for event in subscription:
            if event.kind is EventKind.RESYNC:
                return event
    raise AssertionError("subscription ended before a resync event")


@pytest.fixture
async def local_bus() -> AsyncIterator[EventBus]:
    bus = InProcessEventBus(replica_id="local")
    await bus.start()
    yield bus
    await bus.close()


def _fast_bus(url: URL, replica_id: str) -> PostgresEventBus:
    return PostgresEventBus(
        url, replica_id=replica_id, health_interval=0.5, reconnect_delays=(0.05, 0.5)
    )


@pytest.fixture
async def replicas(pg_url: URL) -> AsyncIterator[tuple[PostgresEventBus, PostgresEventBus]]:
    """Two replicas' buses on one PostgreSQL database."""
    first, second = _fast_bus(pg_url, "replica-a"), _fast_bus(pg_url, "replica-b")
    await first.start()
    await second.start()
    yield first, second
    await first.close()
    await second.close()


async def test_local_subscribers_each_receive_a_published_event(local_bus: EventBus) -> None:
    one, two = local_bus.subscribe(), local_bus.subscribe()

    published = await local_bus.publish(EventKind.TOOL_ADDED, {"server": "weather", "tool_id": 7})

    for subscription in (one, two):
        received = await _next(subscription)
        assert received == published
        assert (received.kind, received.data, received.origin) == (
            EventKind.TOOL_ADDED,
            {"server": "weather", "tool_id": 7},
            "local",
        )


async def test_the_sequence_moves_within_publish_before_any_subscriber_runs(
    local_bus: EventBus,
) -> None:
    before = local_bus.sequence
    await local_bus.publish(EventKind.TOOL_CHANGED, {"tool_id": 3})
    assert local_bus.sequence == before + 1
    assert local_bus.listening


async def test_a_closed_subscription_ends_and_receives_nothing_more(local_bus: EventBus) -> None:
    async with local_bus.subscribe() as subscription:
        pass
    await local_bus.publish(EventKind.TOOL_REMOVED, {"tool_id": 1})

    assert [event async for event in subscription] == []


async def test_closing_the_bus_ends_every_subscription(local_bus: EventBus) -> None:
    subscription = local_bus.subscribe()
    await local_bus.publish(EventKind.SERVER_STARTED, {"server_id": 1})

    await local_bus.close()

    assert [event.kind async for event in subscription] == [EventKind.SERVER_STARTED]


async def test_a_slow_subscriber_loses_the_oldest_events_and_is_told_to_resync(
    local_bus: EventBus,
) -> None:
    slow = local_bus.subscribe(maxsize=3)

    for tool_id in range(5):  # never blocks although nobody reads
        await local_bus.publish(EventKind.TOOL_CHANGED, {"tool_id": tool_id})

    first = await _next(slow)
    assert (first.kind, first.data) == (EventKind.RESYNC, {"reason": "overflow", "dropped": 2})
    rest = [(await _next(slow)).data["tool_id"] for _ in range(3)]
    assert rest == [2, 3, 4]
    assert slow.dropped == 2


async def test_events_too_large_for_notify_are_refused_on_every_backend(
    local_bus: EventBus,
) -> None:
    with pytest.raises(EventTooLarge, match=f"limit is {MAX_PAYLOAD_BYTES}"):
        await local_bus.publish(EventKind.TOOL_CHANGED, {"code": "x" * MAX_PAYLOAD_BYTES})


async def test_only_the_bus_may_emit_resync(local_bus: EventBus) -> None:
    with pytest.raises(ValueError, match="emitted by the bus"):
        await local_bus.publish(EventKind.RESYNC)


async def test_unknown_kinds_are_refused(local_bus: EventBus) -> None:
    with pytest.raises(ValueError, match=r"tool\.exploded"):
        await local_bus.publish("tool.exploded")


def test_events_survive_their_json_form_and_garbage_is_refused() -> None:
    event = Event(EventKind.APPROVAL_CHANGED, {"tool_id": 3, "approved": True}, origin="r1")

    assert Event.from_json(event.to_json()) == event
    with pytest.raises(ValueError, match="not a polybox event"):
        Event.from_json('{"kind": "tool.added"}')


def test_the_store_url_picks_the_backend() -> None:
    assert isinstance(create_event_bus("sqlite:////tmp/x.db"), SqliteEventBus)
    bus = create_event_bus("postgresql://u:p@db.example/polybox", replica_id="r1")
    assert isinstance(bus, PostgresEventBus)
    assert bus.replica_id == "r1"


@pytest.fixture
async def sqlite_processes(tmp_path: Path) -> AsyncIterator[tuple[SqliteEventBus, SqliteEventBus]]:
    """The buses of two processes on one SQLite file; polled by hand (the poller idles)."""
    url = f"sqlite:///{tmp_path / 'polybox.db'}"
    first = SqliteEventBus(url, replica_id="stdio", poll_interval=3600)
    second = SqliteEventBus(url, replica_id="serve", poll_interval=3600)
    await first.start()
    await second.start()
    yield first, second
    await first.close()
    await second.close()


async def test_a_sqlite_process_is_told_to_resync_when_another_publishes(
    sqlite_processes: tuple[SqliteEventBus, SqliteEventBus],
) -> None:
    publisher, other = sqlite_processes
    heard_by_publisher, heard_by_other = publisher.subscribe(), other.subscribe()

    published = await publisher.publish(EventKind.APPROVAL_CHANGED, {"tool_id": 3})

    assert await other.poll() is True
    resync = await _next(heard_by_other)
    assert (resync.kind, resync.data) == (
        EventKind.RESYNC,
        {"reason": "another process changed the store"},
    )
    assert await publisher.poll() is False  # its own change, already delivered locally
    assert await _next(heard_by_publisher) == published
    assert await other.poll() is False  # nothing new since


async def test_commits_that_publish_nothing_do_not_resync_sqlite_processes(
    sqlite_processes: tuple[SqliteEventBus, SqliteEventBus], tmp_path: Path
) -> None:
    """Execution logs and the like change the file but no cache: no resync for them."""
    bus, _ = sqlite_processes
    with sqlite3.connect(tmp_path / "polybox.db") as writer:
        writer.execute("CREATE TABLE logs (line TEXT)")
        writer.execute("INSERT INTO logs VALUES ('a tool ran')")
    writer.close()

    assert await bus.poll() is False


async def test_the_sqlite_poller_delivers_another_processs_change_on_its_own(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'polybox.db'}"
    listener = SqliteEventBus(url, replica_id="stdio", poll_interval=0.05)
    publisher = SqliteEventBus(url, replica_id="serve", poll_interval=3600)
    await listener.start()
    await publisher.start()
    try:
        subscription = listener.subscribe()
        await publisher.publish(EventKind.TOOL_ADDED, {"tool_id": 1})
        assert (await _next_resync(subscription)).origin == "stdio"
    finally:
        await listener.close()
        await publisher.close()


async def test_a_sqlite_bus_that_cannot_open_its_file_fails_with_one_line(
    tmp_path: Path,
) -> None:
    bus = SqliteEventBus(f"sqlite:///{tmp_path / 'missing' / 'polybox.db'}")

    with pytest.raises(StoreUnavailable, match=r"cannot open .*missing/polybox\.db"):
        await bus.start()


async def test_starting_a_postgres_bus_without_a_server_fails_with_one_line() -> None:
    bus = PostgresEventBus("postgresql://u:secret@127.0.0.1:9/polybox")

    with pytest.raises(StoreUnavailable, match=r"u:\*\*\*@127\.0\.0\.1:9/polybox: connection ref"):
        await bus.start()


@pytest.mark.postgres
async def test_replicas_see_each_others_events_and_not_their_own_twice(
    replicas: tuple[PostgresEventBus, PostgresEventBus],
) -> None:
    a, b = replicas
    seen_by_a, seen_by_b = a.subscribe(), b.subscribe()

    sent = await a.publish(EventKind.TOOL_ADDED, {"tool_id": 1})
    received = await _next(seen_by_b)
    assert received == sent
    assert received.origin == "replica-a"
    # b answers only after it got a's event, so a's own echo (if any) would arrive before this.
    answer = await b.publish(EventKind.TOOL_CHANGED, {"tool_id": 1})

    assert await _next(seen_by_a) == sent
    assert await _next(seen_by_a) == answer


@pytest.mark.postgres
async def test_the_listener_reconnects_after_postgres_restarts(
    postgres_server: PostgresServer,
    replicas: tuple[PostgresEventBus, PostgresEventBus],
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not postgres_server.restartable:
        pytest.skip("needs the throwaway PostgreSQL (POLYBOX_TEST_POSTGRES_URL is set)")
    a, b = replicas
    seen_by_a, seen_by_b = a.subscribe(), b.subscribe()

    # Stop and start in a thread so the buses live through the outage and retry meanwhile.
    await anyio.to_thread.run_sync(postgres_server.stop)
    try:
        during = await a.publish(EventKind.SERVER_STOPPED, {"server_id": 1})
        assert await _next(seen_by_a) == during  # local delivery needs no database
    finally:
        await anyio.to_thread.run_sync(postgres_server.start)

    assert (await _next_resync(seen_by_a)).data == {"reason": "reconnected"}
    assert (await _next_resync(seen_by_b)).data == {"reason": "reconnected"}
    assert "reconnect failed" in caplog.text
    after = await a.publish(EventKind.SERVER_STARTED, {"server_id": 1})
    with anyio.fail_after(DEADLINE):
        async for event in seen_by_b:  # the outage event may come first, from a's outbox
            if event.id == after.id:
                break


async def _execute_on(url: URL, statement: str, *args: object) -> None:
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement, *args)
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_a_killed_listener_connection_is_replaced(
    pg_url: URL, replicas: tuple[PostgresEventBus, PostgresEventBus]
) -> None:
    a, b = replicas
    seen_by_b = b.subscribe()

    await _execute_on(
        pg_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        pg_url.database,
    )

    assert (await _next_resync(seen_by_b)).data == {"reason": "reconnected"}
    assert b.listening
    sent = await a.publish(EventKind.TOOL_REMOVED, {"tool_id": 9})
    with anyio.fail_after(DEADLINE):
        async for event in seen_by_b:
            if event.id == sent.id:
                break


@pytest.mark.postgres
async def test_foreign_payloads_on_the_channel_are_ignored_with_a_warning(
    pg_url: URL,
    replicas: tuple[PostgresEventBus, PostgresEventBus],
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, b = replicas
    seen_by_b = b.subscribe()

    await _execute_on(pg_url, "SELECT pg_notify($1, 'not json')", b.channel)
    sent = await a.publish(EventKind.SETTINGS_CHANGED, {"key": "pool_size"})

    assert await _next(seen_by_b) == sent
    assert "ignored a malformed payload on polybox_events" in caplog.text


async def test_closing_a_sqlite_bus_while_a_cancelled_read_still_runs_is_safe(
    tmp_path: Path,
) -> None:
    """Teardown cancels the poller mid-read; the connection must outlive that read (it crashed)."""
    url = f"sqlite:///{tmp_path / 'polybox.db'}"
    for _ in range(50):
        bus = SqliteEventBus(url, replica_id="serve", poll_interval=3600)
        await bus.start()
        reads = [asyncio.create_task(bus.poll()) for _ in range(4)]
        await asyncio.sleep(0)  # the first read is now on the bus thread
        for read in reads:
            read.cancel()
        await bus.close()
        assert not bus.listening
        assert all(read.done() for read in reads)
