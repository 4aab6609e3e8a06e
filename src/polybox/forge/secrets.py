"""Server secrets: LLMs create placeholders, admins set values, only the runner reads them.

A value goes in through `set_secret_value` (the admin UI/API) and comes out only through
`server_secrets`, decrypted for the tool call that needs it. Every other function returns keys,
descriptions and whether a value is set; activity records never hold a value either.

Tool code sees a stand-in per secret, never the value (sandbox/standins.py), unless the admin
marked the secret raw when setting it: the visible exception for local computation (signing).
"""

from __future__ import annotations

import re

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.crypto import SecretBox, SecretDecryptError
from polybox.events import EventKind
from polybox.forge.actors import Actor
from polybox.forge.errors import (
    ConflictError,
    FieldError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from polybox.forge.names import description_problem
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.schemas import SecretOut
from polybox.forge.servers import find_server
from polybox.forge.unit import queue_event, record_activity
from polybox.store.models import Server, ServerSecret

KEY_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
MAX_VALUE_BYTES = 16_384


async def create_secret_placeholder(
    session: AsyncSession, actor: Actor, server: str | int, key: str, description: str = ""
) -> SecretOut:
    """A secret without a value; an admin sets it. ConflictError if the key exists."""
    problems = [
        problem
        for problem in (_key_problem(key), description_problem("description", description))
        if problem is not None
    ]
    if problems:
        raise InvalidInputError.of_fields("cannot create the secret", problems)
    row = await find_server(session, server)
    taken = ConflictError(f"server {row.name!r} already has a secret {key}")
    if await _find(session, row, key) is not None:
        raise taken
    secret = ServerSecret(server_id=row.id, key=key, description=description)
    session.add(secret)
    try:
        await session.flush()
    except IntegrityError:  # created concurrently by another transaction
        raise taken from None
    _changed(session, actor, row, "secret.created", key)
    await session.flush()
    return _out(secret)


async def list_secrets(session: AsyncSession, server: str | int) -> list[SecretOut]:
    """Keys, descriptions and `has_value` of a server's secrets, by key."""
    query = await _secrets_of(session, server)
    return [_out(secret) for secret in (await session.scalars(query)).all()]


async def page_secrets(
    session: AsyncSession,
    server: str | int,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[SecretOut]:
    """`list_secrets` one page at a time, for the admin API."""
    query = await _secrets_of(session, server)
    return await paginate(session, query, _out, page=page, page_size=page_size)


async def _secrets_of(session: AsyncSession, server: str | int) -> Select[ServerSecret]:
    row = await find_server(session, server)
    return select(ServerSecret).where(ServerSecret.server_id == row.id).order_by(ServerSecret.key)


async def set_secret_value(
    session: AsyncSession,
    actor: Actor,
    box: SecretBox,
    server: str | int,
    key: str,
    *,
    value: str,
    raw: bool = False,
) -> SecretOut:
    """Encrypt and store a value (admins only); creates the secret when it has no placeholder.

    `raw` hands the value to approved tool code in clear; otherwise code sees a stand-in.
    """
    if not actor.is_admin:
        raise ForbiddenError("only an admin can set secret values; values never pass through MCP")
    problems = [problem for problem in (_key_problem(key), _value_problem(value)) if problem]
    if problems:
        raise InvalidInputError.of_fields("cannot set the secret", problems)
    row = await find_server(session, server)
    secret = await _find(session, row, key)
    if secret is None:
        secret = ServerSecret(server_id=row.id, key=key)
        session.add(secret)
    secret.ciphertext = box.encrypt(value, server_id=row.id, key=key)
    secret.raw = raw
    _changed(session, actor, row, "secret.value_set", key, raw=raw)
    await session.flush()
    return _out(secret)


async def delete_secret(session: AsyncSession, actor: Actor, server: str | int, key: str) -> None:
    """Remove a secret and its value (admins only)."""
    if not actor.is_admin:
        raise ForbiddenError("only an admin can delete secrets")
    row = await find_server(session, server)
    secret = await _find(session, row, key)
    if secret is None:
        raise NotFoundError(f"server {row.name!r} has no secret {key}")
    await session.delete(secret)
    _changed(session, actor, row, "secret.deleted", key)
    await session.flush()


async def server_secrets(
    session: AsyncSession, box: SecretBox, server_id: int
) -> tuple[dict[str, str], frozenset[str]]:
    """The decrypted values of a server's set secrets and the keys marked raw; for the runner.

    A value that cannot be decrypted raises UnavailableError naming the secret (its key or the
    row was tampered with, or the encryption key changed): a tool must not run with a gap.
    """
    query = select(ServerSecret.key, ServerSecret.ciphertext, ServerSecret.raw).where(
        ServerSecret.server_id == server_id
    )
    values, raw = {}, set()
    for key, blob, is_raw in (await session.execute(query)).all():
        if blob is None:  # a placeholder the admin has not filled in yet
            continue
        try:
            values[key] = box.decrypt(blob, server_id=server_id, key=key)
        except SecretDecryptError as exc:
            raise UnavailableError(str(exc)) from None
        if is_raw:
            raw.add(key)
    return values, frozenset(raw)


def _key_problem(key: str) -> FieldError | None:
    if KEY_PATTERN.fullmatch(key):
        return None
    return FieldError(
        "key",
        f"{key[:80]!r} is not a valid secret key; use 1-64 characters: uppercase letters, digits "
        "and '_', starting with a letter (e.g. WEATHER_API_KEY)",
    )


def _value_problem(value: str) -> FieldError | None:
    size = len(value.encode("utf-8"))
    if not value:
        return FieldError("value", "the value is empty; delete the secret instead")
    if size > MAX_VALUE_BYTES:
        return FieldError("value", f"the value is {size} bytes; the limit is {MAX_VALUE_BYTES}")
    return None


async def _find(session: AsyncSession, server: Server, key: str) -> ServerSecret | None:
    query = select(ServerSecret).where(ServerSecret.server_id == server.id, ServerSecret.key == key)
    return await session.scalar(query)


def _changed(
    session: AsyncSession, actor: Actor, server: Server, action: str, key: str, **details: bool
) -> None:
    record_activity(
        session,
        actor,
        action,
        target_kind="server",
        target_id=server.id,
        details={"key": key, **details},
    )
    queue_event(session, EventKind.SERVER_CHANGED, {"server_id": server.id, "server": server.name})


def _out(secret: ServerSecret) -> SecretOut:
    return SecretOut(
        key=secret.key,
        description=secret.description,
        has_value=secret.ciphertext is not None,
        raw=secret.raw,
        updated_at=secret.updated_at,
    )
