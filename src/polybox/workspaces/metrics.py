"""Prometheus metrics of the .NET half: snippet runs, builds, workspaces, compile servers.

The services call these hooks where the thing happens (`snippets.py`, the workspace service, the
compile server through the callback `Instance.start` gives the runtime); `/metrics` shows them
because the Instance adds `REGISTRY` to its own registry. They are process-wide, unlike the
per-app HTTP metrics: a workspace or a compile server belongs to the process that runs it, and
the hooks are plain functions so the runtime layer can be handed one without knowing this module.
Label values are bounded: versions come from `DOTNET_VERSIONS`, outcomes and reasons from fixed
sets.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

# Snippets take from ~100 ms (warm, tiny) to their timeout; builds from ~1 s (warm) to minutes.
_SNIPPET_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120)
_BUILD_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)

SNIPPET_RUNS = Counter(
    "polybox_dotnet_snippet_runs",
    "C# snippet runs, by .NET version and outcome (ok, compile_error, restore_error, "
    "runtime_error, timeout, limit, refused).",
    ("version", "outcome"),
    registry=REGISTRY,
)
SNIPPET_DURATION = Histogram(
    "polybox_dotnet_snippet_duration_seconds",
    "Time of one snippet run end to end (restore, compile, run), by version and outcome.",
    ("version", "outcome"),
    buckets=_SNIPPET_BUCKETS,
    registry=REGISTRY,
)
COMPILER_RESTARTS = Counter(
    "polybox_dotnet_compile_server_restarts",
    "Compile servers replaced, by version and reason (crash: died or hung; memory: grew past "
    "dotnet_compiler_recycle_mb).",
    ("version", "reason"),
    registry=REGISTRY,
)
BUILDS = Counter(
    "polybox_dotnet_builds",
    "Workspace builds, by version and result (succeeded, failed).",
    ("version", "result"),
    registry=REGISTRY,
)
BUILD_DURATION = Histogram(
    "polybox_dotnet_build_duration_seconds",
    "Time of one workspace build, by version.",
    ("version",),
    buckets=_BUILD_BUCKETS,
    registry=REGISTRY,
)
WORKSPACES_STARTED = Counter(
    "polybox_dotnet_workspaces_started",
    "Workspaces created, by version.",
    ("version",),
    registry=REGISTRY,
)
WORKSPACES_STOPPED = Counter(
    "polybox_dotnet_workspaces_stopped",
    "Workspaces stopped, by version and reason (client, admin, idle, restart, limit).",
    ("version", "reason"),
    registry=REGISTRY,
)
WORKSPACES_RUNNING = Gauge(
    "polybox_dotnet_workspaces_running",
    "Workspaces running in this process now, by version.",
    ("version",),
    registry=REGISTRY,
)
CLEANUPS = Counter(
    "polybox_dotnet_workspace_cleanups",
    "Workspaces cleaned up (stopped and their files removed), by trigger (idle, client, admin).",
    ("trigger",),
    registry=REGISTRY,
)


def snippet_finished(version: str, outcome: str, seconds: float) -> None:
    """One snippet run ended (`outcome` as `SnippetResult.outcome`, or `refused`)."""
    SNIPPET_RUNS.labels(version, outcome).inc()
    SNIPPET_DURATION.labels(version, outcome).observe(seconds)


def compiler_restarted(version: str, reason: str) -> None:
    """The compile server of `version` was replaced (`crash` or `memory`)."""
    COMPILER_RESTARTS.labels(version, reason).inc()


def workspace_started(version: str) -> None:
    """A workspace of `version` was created and runs in this process."""
    WORKSPACES_STARTED.labels(version).inc()
    WORKSPACES_RUNNING.labels(version).inc()


def workspace_stopped(version: str, reason: str) -> None:
    """A workspace this process started (`workspace_started`) stopped for `reason`.

    Not for rows found stale at start-up: their Box died with an earlier process, which never
    counted them here, and the running gauge would go below zero.
    """
    WORKSPACES_STOPPED.labels(version, reason).inc()
    WORKSPACES_RUNNING.labels(version).dec()


def build_finished(version: str, seconds: float, succeeded: bool) -> None:
    """A workspace build of `version` ended after `seconds`."""
    BUILDS.labels(version, "succeeded" if succeeded else "failed").inc()
    BUILD_DURATION.labels(version).observe(seconds)


def workspaces_cleaned(trigger: str, count: int) -> None:
    """`count` workspaces were cleaned up by `trigger` (idle job, client or admin cleanup)."""
    CLEANUPS.labels(trigger).inc(count)
