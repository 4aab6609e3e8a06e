"""Which warm workers a server's code may run in, and retiring them when the server changes.

A worker of the pool serves one scope for life (sandbox/python/pool.py). A server's scope is
made of its `sandbox_key` (random, written once when the server is created, never reused the
way SQLite reuses the id of a deleted row) and a fingerprint of everything its code runs with:
the secrets (and which go in raw), the egress policy and the allowed modules. So a server created
after another was deleted never gets its workers, and a server whose secrets or policy changed
gets fresh ones. `WorkerRetirement` also retires the old workers at once when the event bus
reports that a server was stopped, deleted or changed (or that events may have been lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping

from polybox.events import EventBus, EventKind, Subscription
from polybox.sandbox.egress import EgressPolicy
from polybox.sandbox.python import PythonPool

SCOPE_PREFIX = "server:"
_FINGERPRINT_KEY = os.urandom(16)  # per process: a scope never reveals a hash of a secret
_RETIRING_KINDS = frozenset(
    {EventKind.SERVER_STOPPED, EventKind.SERVER_REMOVED, EventKind.SERVER_CHANGED}
)
_RETIRING_ALL_KINDS = frozenset({EventKind.SETTINGS_CHANGED, EventKind.RESYNC})


def server_scope_prefix(server_id: int) -> str:
    """The start of every scope of the server with this id (whichever server has it now)."""
    return f"{SCOPE_PREFIX}{server_id}:"


def server_scope(
    server_id: int,
    sandbox_key: str,
    *,
    secrets: Mapping[str, str],
    raw: Iterable[str],
    egress: EgressPolicy,
    modules: Iterable[str],
) -> str:
    """The pool scope of a server's code run with exactly these secrets, policy and modules."""
    material = json.dumps(
        [sorted(secrets.items()), sorted(raw), repr(egress), sorted(modules)],
        separators=(",", ":"),
    )
    digest = hashlib.blake2b(material.encode(), key=_FINGERPRINT_KEY, digest_size=16)
    return f"{server_scope_prefix(server_id)}{sandbox_key}:{digest.hexdigest()}"


class WorkerRetirement:
    """Retires the pool's workers of servers the event bus reports stopped, deleted or changed."""

    def __init__(self, events: EventBus, pool: PythonPool) -> None:
        self._events = events
        self._pool = pool
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Subscribe now (no later event is missed) and act on events in the background."""
        if self._task is None:
            self._subscription = self._events.subscribe()
            self._task = asyncio.create_task(self._run(self._subscription))

    async def close(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, subscription: Subscription) -> None:
        async for event in subscription:
            server_id = event.data.get("server_id")
            if event.kind in _RETIRING_ALL_KINDS:
                self._pool.retire_scopes(SCOPE_PREFIX)
            elif event.kind in _RETIRING_KINDS and isinstance(server_id, int):
                self._pool.retire_scopes(server_scope_prefix(server_id))
