"""What the auth services take and return: pydantic models the admin API renders as they are.

Secrets appear in exactly two places, each time once: `TokenPair` (the caller's own new tokens)
and `ApiTokenCreated` (a new MCP client token). Nothing here holds a password hash or token hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from polybox.auth.passwords import MAX_PASSWORD_LENGTH

Scope = Literal["tools:call", "forge:write", "admin"]
MAX_TOKEN_DAYS = 365


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- inputs -------------------------------------------------------------------------------------


class Credentials(_Model):
    """A username and password (setup, login, new admins); the policy is checked by the service."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class RefreshIn(_Model):
    refresh_token: str = Field(min_length=1, max_length=256)


class PasswordChange(_Model):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class ApiTokenIn(_Model):
    """A new MCP client token: a name to recognise it by, its lifetime and what it may do."""

    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int = Field(default=90, ge=1, le=MAX_TOKEN_DAYS)
    scopes: list[Scope] = Field(min_length=1, max_length=3)


# --- outputs ------------------------------------------------------------------------------------


class AuthStatus(_Model):
    """What a client needs before anyone logs in: whether the first admin must be created."""

    setup_required: bool


class AdminOut(_Model):
    id: int
    username: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


class TokenPair(_Model):
    """A login's tokens: send `access_token` as a bearer token; trade `refresh_token` at
    /auth/refresh before `refresh_expires_at` (each refresh token works once)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


class ApiTokenOut(_Model):
    """An API token as listed: `prefix` identifies it; the token itself is never shown again."""

    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(_Model):
    """A new API token: `token` is shown here once and cannot be read back."""

    token: str
    api_token: ApiTokenOut
