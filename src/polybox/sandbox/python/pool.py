"""The pool of warm Python workers that runs tool calls.

Each worker is one process in its own Box, forking a child per call (worker.py). The pool:
- binds a worker to ONE secrets scope (a server) on its first call; it never serves another
  scope, so a worker never holds two servers' secrets. A call for a new scope takes a fresh
  worker, or retires an idle worker of another scope so that a fresh one replaces it;
- retires a worker after `max_calls` calls or after anything abnormal (it died, broke the
  protocol, did not confirm a kill, or its call was cancelled and could not be reclaimed);
  a timed-out child killed on request is normal and the worker stays;
- retires on request (`retire_scopes`) the workers of scopes that are gone or changed: idle
  ones at once, busy ones when their call ends;
- refills in the background to `size` workers; calls wait for a free worker up to
  `queue_timeout` and then fail with PoolBusyError;
- lets one scope hold at most `per_scope` workers at once and serves waiting calls in turn
  across scopes (the n-th waiting call of every scope before the n+1-th of any), so a server
  flooding the pool with slow calls delays another server's call by at most one call;
- hands the code a fresh stand-in per secret instead of its value (standins.py; the egress
  broker fills the values in for allowed hosts), except the keys the caller lists as raw;
- redacts the call's secrets from the result, output and error before returning them (unless
  the caller asks it not to: the admin's `redact_secrets_in_output` setting).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Coroutine, Mapping, Set
from dataclasses import dataclass
from typing import Any

from polybox.sandbox.box import WORKSPACE, BoxBackend, BoxError, BoxSpec, Limits
from polybox.sandbox.egress import EgressBroker, EgressPolicy
from polybox.sandbox.python.connection import CallTimedOut, WorkerConnection, WorkerLost
from polybox.sandbox.python.framing import FrameError
from polybox.sandbox.python.policy import DEFAULT_ALLOWED_MODULES, PRELOADED_MODULES
from polybox.sandbox.python.program import worker_program
from polybox.sandbox.python.results import PoolConfig, RunResult, ToolError
from polybox.sandbox.redaction import JsonValue, Redactor
from polybox.sandbox.standins import Standins

logger = logging.getLogger(__name__)

BOX_PACKAGES_DIR = "/opt/polybox/packages"
SCRATCH_DIRS = (WORKSPACE, "/tmp", "/dev/shm")  # noqa: S108 - the Box's own tmpfs
_WORKER_OVERHEAD_MB = 256  # the worker's own interpreter on top of one call's memory
_RETRY_DELAY = 1.0


@dataclass(eq=False)
class _Claim:
    """A call waiting for a worker of `scope`."""

    scope: str
    future: asyncio.Future[WorkerConnection]


class PoolBusyError(Exception):
    """No worker became free before the queue deadline (the message says why, if known)."""


class PythonPool:
    """Warm workers for tool calls; see the module docstring for the rules it keeps."""

    def __init__(
        self, backend: BoxBackend, config: PoolConfig, broker: EgressBroker | None = None
    ) -> None:
        self.backend = backend
        self.config = config
        self.broker = broker or EgressBroker()
        self._idle: list[WorkerConnection] = []
        self._busy: set[WorkerConnection] = set()
        self._retiring: set[WorkerConnection] = set()  # busy, to be retired when released
        self._starting = 0
        self._queue: list[_Claim] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_error: str | None = None
        self._closed = False
        self._isolated = backend.name != "unsafe-local"  # unsafe-local: no mount/pid namespace
        self._frame_limit = frame_limit(config)
        self._spec = BoxSpec()
        self._argv: list[str] = []

    def _prepare(self) -> None:
        """Decide the workers' Box spec and command line (once, at start).

        The packages dir (which must exist) is bound even while empty: a bind shows the
        directory's current contents, so packages installed later are importable by the next
        call of every running worker.
        """
        packages = self.config.packages_dir
        box_packages = BOX_PACKAGES_DIR if self._isolated else str(packages)
        self._spec = BoxSpec(
            limits=Limits(
                memory_mb=self.config.memory_mb + _WORKER_OVERHEAD_MB,
                cpu_seconds=3600,
                processes=self.config.processes,
                tmp_size_mb=self.config.tmp_size_mb,
                workspace_size_mb=self.config.workspace_size_mb,
            ),
            ro_binds=((packages, BOX_PACKAGES_DIR),) if packages and self._isolated else (),
        )
        worker_config = {
            "frame_limit": self._frame_limit,
            "output_limit": self.config.output_limit,
            "own_pid_namespace": self._isolated,
            "landlock": self.backend.landlock_abi() > 0,
            "packages": box_packages if packages else None,
            "preload": PRELOADED_MODULES,
            # Emptied after every call; never on unsafe-local, where /tmp is the host's.
            "scratch_dirs": list(SCRATCH_DIRS) if self._isolated else [],
            "disk_full": (
                f"the Box's /workspace holds at most {self.config.workspace_size_mb} MiB "
                f"(setting box_workspace_size_mb) and /tmp {self.config.tmp_size_mb} MiB "
                "(box_tmp_size_mb); both are emptied after every call"
            ),
        }
        python = str(self.config.python)
        self._argv = [python, "-I", "-S", "-c", worker_program(), json.dumps(worker_config)]

    @property
    def size(self) -> int:
        """Workers alive or starting (the pool keeps this at `config.size`)."""
        return len(self._idle) + len(self._busy) + self._starting

    @property
    def bound_scopes(self) -> list[str]:
        """The scopes live workers are bound to, one entry per worker (diagnostics, tests)."""
        return [w.scope for w in (*self._idle, *self._busy) if w.scope is not None]

    async def start(self) -> None:
        """Start `config.size` workers and wait until they are ready (raises if none can start)."""
        self._prepare()
        count = self.config.size - self.size
        self._starting += count
        try:
            results = await asyncio.gather(
                *(self._start_worker() for _ in range(count)), return_exceptions=True
            )
        finally:
            self._starting -= count
        self._idle += [result for result in results if isinstance(result, WorkerConnection)]
        if not self._idle:
            raise BoxError(f"no Python worker could start: {self._last_error}")
        self._refill_later()

    async def wait_until_full(self, seconds: float) -> None:
        """Wait until `config.size` workers are ready or busy (after start-up or a loss)."""
        async with asyncio.timeout(seconds):
            while len(self._idle) + len(self._busy) < self.config.size:
                await self.changed()

    async def close(self) -> None:
        """Stop every worker and background task; idempotent."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for claim in self._queue:
            if not claim.future.done():
                claim.future.set_exception(PoolBusyError("the Python pool is closed"))
        self._queue.clear()
        workers = [*self._idle, *self._busy]
        self._idle.clear()
        self._busy.clear()
        for worker in workers:
            await worker.destroy()
        self._notify()

    async def run(
        self,
        code: str,
        args: Mapping[str, Any],
        *,
        scope: str,
        secrets: Mapping[str, str],
        egress: EgressPolicy,
        raw: Set[str] = frozenset(),
        allowed_modules: Set[str] = DEFAULT_ALLOWED_MODULES,
        timeout: float | None = None,  # noqa: ASYNC109 - the tool's limit, enforced in the Box
        redact: bool = True,
    ) -> RunResult:
        """Run tool `code`'s `main(**args)` in a warm worker bound to `scope`.

        The code sees a stand-in per secret, the real value only for keys in `raw`. The outcome
        is always a RunResult (tool errors, time-outs and lost workers included), with every
        secret value redacted unless `redact` is False. Raises PoolBusyError when no worker
        frees up in time.
        """
        limit = timeout or self.config.call_timeout
        redactor = Redactor(secrets.values() if redact else ())
        given, standins = Standins.for_call(secrets, raw)
        worker = await self._acquire(scope)
        started = time.perf_counter()
        frame = {
            "code": code,
            "args": dict(args),
            "secrets": given,
            "modules": sorted(allowed_modules),
            "timeout": limit,
            "memory_mb": self.config.memory_mb,
            "output_limit": self.config.output_limit,
            "result_limit": self.config.result_limit,
        }
        healthy = False
        try:
            done = await worker.call(frame, egress, limit, self.config.kill_grace, standins)
            healthy = True
        except CallTimedOut as exc:
            healthy = True
            message = f"the tool ran longer than {limit:g} s and was stopped"
            done = {
                "ok": False,
                "stdout": exc.stdout,
                "error": {"type": "TimeoutError", "message": message},
            }
        except WorkerLost:
            message = (
                "the sandbox worker running this call stopped unexpectedly; the call was "
                "abandoned (a fresh worker replaces it, so retrying is safe)"
            )
            done = {"ok": False, "error": {"type": "SandboxError", "message": message}}
        except asyncio.CancelledError:
            self._spawn(self._reclaim(worker))
            raise
        self._release(worker, healthy=healthy)
        duration_ms = (time.perf_counter() - started) * 1000
        return _result(done, redactor, duration_ms)

    def retire_scopes(self, prefix: str) -> None:
        """Retire every worker bound to a scope that starts with `prefix`.

        Idle ones go now; a busy one finishes its call and then goes. The pool refills with
        fresh, unbound workers.
        """
        for worker in [w for w in self._idle if w.scope and w.scope.startswith(prefix)]:
            self._idle.remove(worker)
            self._retire(worker)
        self._retiring |= {w for w in self._busy if w.scope and w.scope.startswith(prefix)}
        self._notify()

    # --- workers -------------------------------------------------------------------------------

    async def _start_worker(self) -> WorkerConnection:
        try:
            box = await self.backend.create(self._spec)
            try:
                process = await box.start(self._argv)
                worker = WorkerConnection(
                    box, process, frame_limit=self._frame_limit, broker=self.broker
                )
                await worker.wait_ready(self.config.start_timeout)
                _check_landlock(worker.landlock_abi, self.backend)
            except FrameError as exc:
                log = (await box.read_log(2048)).decode("utf-8", "replace").strip()
                await box.destroy()
                raise BoxError(f"the worker did not start ({exc}); its log: {log!r}") from None
            except BaseException:
                await box.destroy()
                raise
        except (BoxError, OSError, FrameError, TimeoutError) as exc:
            self._last_error = f"{type(exc).__name__}: {exc}"
            logger.warning("python worker failed to start: %s", self._last_error)
            raise
        return worker

    async def _add_worker(self) -> None:
        """Start one worker already counted in `_starting`; on failure, retry after a pause."""
        try:
            worker = await self._start_worker()
        except (BoxError, OSError, FrameError, TimeoutError):
            self._starting -= 1
            await asyncio.sleep(_RETRY_DELAY)
            self._refill_later()
            return
        self._starting -= 1
        if self._closed:
            await worker.destroy()
            return
        self._idle.append(worker)
        self._dispatch()

    def _refill_later(self) -> None:
        while not self._closed and self.size < self.config.size:
            self._starting += 1  # counted now, so concurrent refills never overshoot
            self._spawn(self._add_worker())

    def _retire(self, worker: WorkerConnection) -> None:
        self._busy.discard(worker)
        self._retiring.discard(worker)
        self._spawn(worker.destroy())
        self._refill_later()

    def _release(self, worker: WorkerConnection, *, healthy: bool) -> None:
        self._busy.discard(worker)
        worker.calls += 1
        if self._closed:
            self._spawn(worker.destroy())
        elif (
            not healthy
            or worker.lost
            or worker.calls >= self.config.max_calls
            or worker in self._retiring
        ):
            self._retire(worker)
        else:
            self._idle.append(worker)
        self._dispatch()

    async def _reclaim(self, worker: WorkerConnection) -> None:
        """After a cancelled call: stop its child and keep the worker, or retire it."""
        stdout = await worker.stop(self.config.kill_grace)
        self._release(worker, healthy=stdout is not None)

    async def _acquire(self, scope: str) -> WorkerConnection:
        """Queue for a worker usable for `scope`; first come, first served."""
        if self._closed:
            raise PoolBusyError("the Python pool is closed")
        claim = _Claim(scope, asyncio.get_running_loop().create_future())
        self._queue.append(claim)
        self._dispatch()
        try:
            async with asyncio.timeout(self.config.queue_timeout):
                return await asyncio.shield(claim.future)
        except BaseException as exc:
            with contextlib.suppress(ValueError):
                self._queue.remove(claim)
            if (
                claim.future.done()
                and not claim.future.cancelled()
                and not claim.future.exception()
            ):
                self._give_back(claim.future.result())  # assigned just as we gave up
            claim.future.cancel()
            if isinstance(exc, TimeoutError):
                raise PoolBusyError(self._busy_reason(scope)) from None
            raise

    def _busy_reason(self, scope: str) -> str:
        waited = f"{self.config.queue_timeout:g} s"
        cap = self.config.per_scope
        held = sum(1 for worker in self._busy if worker.scope == scope)
        if cap < self.config.size and held >= cap:
            return (
                f"this server's calls already hold all {cap} worker slots it may use at once "
                f"(server_max_concurrent_calls) and none came free within {waited}"
            )
        reason = f"; last start-up error: {self._last_error}" if self._last_error else ""
        return f"all {self.config.size} Python workers stayed busy for {waited}{reason}"

    def _dispatch(self) -> None:
        """Hand idle workers to queued claims in turn across scopes, and make room for stuck ones.

        A claim waits while its scope holds `per_scope` workers. Otherwise it finds nothing when
        every idle worker is bound to another scope; one such idle worker is retired per stuck
        claim (beyond workers already starting) so that a fresh one replaces it.
        """
        held = Counter(worker.scope for worker in self._busy)
        stuck = 0
        for claim in _in_turn(self._queue):
            if claim.future.done():
                self._queue.remove(claim)
                continue
            if held[claim.scope] >= self.config.per_scope:
                continue
            worker = self._pick(claim.scope)
            if worker is None:
                stuck += 1
                continue
            self._queue.remove(claim)
            self._idle.remove(worker)
            self._busy.add(worker)
            held[claim.scope] += 1
            worker.scope = claim.scope
            claim.future.set_result(worker)
        spare = [w for w in self._idle if w.scope is not None]
        for worker in spare[: max(0, stuck - self._starting)]:
            self._idle.remove(worker)
            self._retire(worker)
        self._notify()

    def _give_back(self, worker: WorkerConnection) -> None:
        self._busy.discard(worker)
        self._idle.append(worker)
        self._dispatch()

    def _pick(self, scope: str) -> WorkerConnection | None:
        for wanted in (scope, None):
            for worker in self._idle:
                if worker.scope == wanted and not worker.lost:
                    return worker
        return None

    async def changed(self) -> None:
        """Return at the next change of the pool (a worker taken, freed, added or retired)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _in_turn(queue: list[_Claim]) -> list[_Claim]:
    """The claims in serving order: each scope's first, then each scope's second, and so on."""
    rank: Counter[str] = Counter()
    ranked = []
    for claim in queue:
        ranked.append((rank[claim.scope], claim))
        rank[claim.scope] += 1
    return [claim for _, claim in sorted(ranked, key=lambda pair: pair[0])]


def frame_limit(config: PoolConfig) -> int:
    """The largest frame either side accepts: a done frame or an http response at the cap.

    A result or output escapes to at most ~8 bytes per byte in JSON; a response body travels
    base64-encoded (4 bytes per 3); 1 MiB is left for headers, URL and the envelope.
    """
    done = 8 * (config.result_limit + config.output_limit)
    response = 4 * -(-config.response_limit // 3)
    return max(done, response) + (1 << 20)


def _check_landlock(applied: int, backend: BoxBackend) -> None:
    """Refuse a worker whose Landlock differs from what the backend lists as a layer."""
    promised = backend.landlock_abi()
    if applied != promised:
        raise BoxError(
            f"the worker runs under Landlock ABI {applied}, but the {backend.name} backend lists "
            f"ABI {promised} as a layer; refusing it rather than claiming a layer that is not in "
            "force (check `polybox doctor`)"
        )


def _result(done: Mapping[str, Any], redactor: Redactor, duration_ms: float) -> RunResult:
    stdout = redactor.text(str(done.get("stdout", "")))
    if done.get("ok"):
        value: JsonValue = json.loads(str(done["result_json"]))
        return RunResult(True, redactor.value(value), stdout, None, duration_ms)
    raw = done.get("error") or {}
    line = raw.get("line")
    error = ToolError(
        type=str(raw.get("type", "Error")),
        message=redactor.text(str(raw.get("message", ""))),
        line=line if isinstance(line, int) else None,
        traceback=redactor.text(str(raw.get("traceback", ""))),
    )
    return RunResult(False, None, stdout, error, duration_ms)
