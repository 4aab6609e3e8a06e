"""Prometheus counters of the workspaces service: workspaces started and stopped, builds.

The service calls these three functions; /metrics exports `REGISTRY` beside the process's own.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

_STARTED = Counter(
    "polybox_workspaces_started", "Workspaces created, by .NET version.", ("version",),
    registry=REGISTRY,
)  # fmt: skip
_STOPPED = Counter(
    "polybox_workspaces_stopped",
    "Workspaces stopped or cleaned up, by .NET version and reason.",
    ("version", "reason"),
    registry=REGISTRY,
)
_BUILDS = Histogram(
    "polybox_workspace_build_seconds",
    "Workspace builds and their duration, by .NET version and outcome.",
    ("version", "outcome"),
    registry=REGISTRY,
)


def workspace_started(version: str) -> None:
    _STARTED.labels(version).inc()


def workspace_stopped(version: str, reason: str) -> None:
    _STOPPED.labels(version, reason).inc()


def build_finished(version: str, seconds: float, succeeded: bool) -> None:
    _BUILDS.labels(version, "succeeded" if succeeded else "failed").observe(seconds)
