"""Which sandbox this process runs tool code in, said plainly for doctor, /readyz and the UI.

The backend is opened once at start. When no isolation is available the process still starts (the
admin can see and fix things) but has no backend, so tool calls are refused; `unsafe-local` is
usable but flagged, never silent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from polybox.config import Settings
from polybox.sandbox.accounts import ensure_sandbox_user
from polybox.sandbox.backends import create_backend
from polybox.sandbox.box import BoxBackend, SandboxUnavailableError


@dataclass(frozen=True)
class SandboxStatus:
    """The outcome of opening the configured backend."""

    backend: str  # the backend in use, or "none"
    usable: bool
    isolated: bool
    layers: tuple[str, ...] = ()
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.usable,
            "backend": self.backend,
            "isolated": self.isolated,
            "layers": list(self.layers),
            "detail": self.problem
            or ("isolated" if self.isolated else "UNSAFE: tool code runs without a sandbox"),
        }


def open_backend(
    settings: Settings, *, create_user: bool = True
) -> tuple[BoxBackend | None, SandboxStatus]:
    """Open the configured backend, or explain why there is none.

    Run as root with bwrap wanted, this first creates the unprivileged sandbox account (the
    install step `polybox doctor --fix` also performs), so a fresh host works without it.
    `create_user=False` only looks (doctor reports; it changes the host only with `--fix`).
    """
    try:
        if create_user and os.geteuid() == 0 and settings.sandbox in ("auto", "bwrap"):
            ensure_sandbox_user(settings.sandbox_user)
        backend = create_backend(settings)
    except SandboxUnavailableError as exc:
        return None, SandboxStatus(backend="none", usable=False, isolated=False, problem=str(exc))
    layers = backend.isolation_layers()
    isolated = settings.sandbox != "unsafe-local"
    return backend, SandboxStatus(
        backend=backend.name, usable=True, isolated=isolated, layers=layers
    )
