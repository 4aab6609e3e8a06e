"""The root of polybox's own exceptions.

Edges render them: the CLI prints `UserError`s as one line with exit code 2; the HTTP surfaces map
them to their status codes. Lower layers raise the most specific subclass that fits.
"""

from __future__ import annotations


class PolyboxError(Exception):
    """Base class of every error polybox raises on purpose."""


class UserError(PolyboxError):
    """Something the operator can fix (a setting, a file, a missing service); the text says how."""
