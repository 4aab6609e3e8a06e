"""Prometheus metrics of one polybox process.

Each app instance owns its registry (not the global default), so several apps in one test process
don't collide and `/metrics` shows exactly this process's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Requests are labelled by the top-level area, never by raw path: unbounded label values would
# grow the registry with every distinct URL a client sends.
_AREAS = frozenset({"mcp", "api", "healthz", "readyz", "metrics"})

CONTENT_TYPE = CONTENT_TYPE_LATEST


def area_of(path: str) -> str:
    """The metrics label for a request path: its first segment when known, else `ui`."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in _AREAS else "ui"


@dataclass
class Metrics:
    """The instruments polybox exports."""

    registry: CollectorRegistry = field(
        default_factory=lambda: CollectorRegistry(auto_describe=True)
    )

    def __post_init__(self) -> None:
        self.http_requests = Counter(
            "polybox_http_requests",
            "HTTP requests served, by area, method and status code.",
            ("area", "method", "status"),
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "polybox_http_request_duration_seconds",
            "Time to serve an HTTP request, by area.",
            ("area",),
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The exposition text for a scrape."""
        return generate_latest(self.registry)
