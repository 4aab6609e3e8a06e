"""Errors of the forge services; each carries the kind a surface maps to its status code.

MCP renders every ForgeError as a tool result with `isError` and the message (the model can act on
it); the REST API maps `kind` to an HTTP status. Messages are plain sentences that say what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from polybox.errors import PolyboxError


class ErrorKind(StrEnum):
    NOT_FOUND = "not_found"  # 404
    CONFLICT = "conflict"  # 409: duplicate name, wrong state for the transition
    INVALID = "invalid_input"  # 422: bad names, bad code, bad arguments
    FORBIDDEN = "forbidden"  # 403: policy says no (approval required, remote editing off)
    UNAVAILABLE = "unavailable"  # 503: sandbox missing, pool busy, server stopped


@dataclass(frozen=True)
class FieldError:
    """One bad field of an input: where, and what is wrong with it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ForgeError(PolyboxError):
    """Base of the forge's errors."""

    kind: ErrorKind = ErrorKind.INVALID

    def __init__(self, message: str, *, fields: tuple[FieldError, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class NotFoundError(ForgeError):
    kind = ErrorKind.NOT_FOUND


class ConflictError(ForgeError):
    kind = ErrorKind.CONFLICT


class InvalidInputError(ForgeError):
    kind = ErrorKind.INVALID

    @classmethod
    def of_fields(cls, summary: str, fields: list[FieldError]) -> InvalidInputError:
        """One error listing every bad field, so a caller can fix them all at once."""
        listed = "; ".join(str(field) for field in fields)
        return cls(f"{summary}: {listed}", fields=tuple(fields))


class ForbiddenError(ForgeError):
    kind = ErrorKind.FORBIDDEN


class UnavailableError(ForgeError):
    kind = ErrorKind.UNAVAILABLE
