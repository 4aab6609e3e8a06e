"""The sandbox layer: Boxes (isolated environments) and the backends that make them.

Callers import from here: the Box API lives in `box.py`, backend choice in `backends.py`.
"""

from polybox.sandbox.box import (
    WORKSPACE,
    Box,
    BoxBackend,
    BoxClosedError,
    BoxError,
    BoxProcess,
    BoxSpec,
    ExecResult,
    FileInfo,
    Forward,
    Limits,
    PathEscapeError,
    SandboxUnavailableError,
    SpawnedProcess,
)

__all__ = [
    "WORKSPACE",
    "Box",
    "BoxBackend",
    "BoxClosedError",
    "BoxError",
    "BoxProcess",
    "BoxSpec",
    "ExecResult",
    "FileInfo",
    "Forward",
    "Limits",
    "PathEscapeError",
    "SandboxUnavailableError",
    "SpawnedProcess",
]
