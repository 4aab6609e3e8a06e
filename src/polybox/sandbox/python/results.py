"""The pool's configuration and what a tool call returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from polybox.config import Settings
from polybox.sandbox.python.packages import packages_dir_of
from polybox.sandbox.redaction import JsonValue


@dataclass(frozen=True)
class PoolConfig:
    """Sizes and limits of the Python pool; `from_settings` maps the polybox settings."""

    size: int = 4
    max_calls: int = 500
    call_timeout: float = 30.0
    memory_mb: int = 512
    output_limit: int = 65536
    result_limit: int = 1_048_576
    tmp_size_mb: int = 64
    workspace_size_mb: int = 64
    response_limit: int = 10_485_760  # the egress cap: an http_result frame must carry it
    processes: int = 64
    python: Path = Path("/usr/bin/python3")
    packages_dir: Path | None = None
    queue_timeout: float = 30.0
    scope_limit: int | None = None  # workers one scope may hold at once; None: size - 1
    start_timeout: float = 10.0
    kill_grace: float = 1.0

    @property
    def per_scope(self) -> int:
        """Workers one scope may hold at once (never all of them while there are two or more)."""
        return self.scope_limit or max(1, self.size - 1)

    @classmethod
    def from_settings(cls, settings: Settings) -> PoolConfig:
        """The pool of a polybox process; approved packages are in `packages_dir_of(data_dir)`."""
        return cls(
            size=settings.pool_size,
            max_calls=settings.worker_max_calls,
            call_timeout=settings.call_timeout_seconds,
            memory_mb=settings.call_memory_mb,
            output_limit=settings.call_output_limit_bytes,
            result_limit=settings.call_result_limit_bytes,
            tmp_size_mb=settings.box_tmp_size_mb,
            workspace_size_mb=settings.box_workspace_size_mb,
            response_limit=settings.egress_max_response_bytes,
            python=settings.sandbox_python,
            queue_timeout=settings.call_queue_timeout_seconds,
            scope_limit=settings.server_max_concurrent_calls,
            packages_dir=packages_dir_of(settings.data_dir),
        )


@dataclass(frozen=True)
class ToolError:
    """Why a call failed. `line` is the line of the tool's code (None if not in its code);
    `traceback` shows only the tool's own frames."""

    type: str
    message: str
    line: int | None = None
    traceback: str = ""


@dataclass(frozen=True)
class RunResult:
    """The outcome of one call, secrets redacted unless the caller said not to. `result` is set
    only when `ok`."""

    ok: bool
    result: JsonValue
    stdout: str
    error: ToolError | None
    duration_ms: float
