"""Fixtures for forge service tests: a migrated store of each backend and an event bus.

`sessions` and `events` are what `transaction(sessions, events)` takes; `events.published` lists
every event published so far, in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest

from polybox.events import Event, EventKind, InProcessEventBus, Scalar


class RecordingBus(InProcessEventBus):
    """The in-process bus, remembering what was published so tests can assert on it."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[Event] = []

    async def publish(
        self, kind: EventKind | str, data: Mapping[str, Scalar] | None = None
    ) -> Event:
        event = await super().publish(kind, data)
        self.published.append(event)
        return event

    def kinds(self) -> list[EventKind]:
        return [event.kind for event in self.published]


@pytest.fixture
async def events() -> AsyncIterator[RecordingBus]:
    bus = RecordingBus()
    await bus.start()
    yield bus
    await bus.close()
