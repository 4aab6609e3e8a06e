"""Opaque bearer secrets (refresh tokens, API tokens): 256 random bits, stored as SHA-256 only.

A SHA-256 of a 256-bit random value cannot be reversed or guessed, so the store can look a token up
by its digest (an indexed equality match): a timing difference in that lookup reveals at most
something about a digest, never a usable token, and a stolen database yields no tokens.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token(prefix: str = "") -> str:
    """A fresh random token, URL-safe, with `prefix` in front."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """The hex SHA-256 the store keeps in place of `token`."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
