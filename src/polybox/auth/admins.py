"""Admin accounts: first-run setup, creation, listing, disabling and password changes.

Every change is recorded in the activity log under the admin who made it. Disabling an admin or
changing a password ends every session of that account (see `auth.sessions`).
"""

from __future__ import annotations

import re

import anyio
from sqlalchemy import insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.auth.access import AuthError
from polybox.auth.passwords import WeakPasswordError, check_policy, hash_password, verify_password
from polybox.auth.schemas import AdminOut, Credentials, PasswordChange
from polybox.auth.sessions import revoke_admin_sessions
from polybox.errors import UserError
from polybox.forge.actors import Actor, admin
from polybox.forge.errors import (
    ConflictError,
    ErrorKind,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.sorting import ordering
from polybox.forge.unit import record_activity
from polybox.store.models import AdminUser
from polybox.store.types import UTCDateTime, utcnow

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{1,47}$")
SORT_FIELDS = {"username": AdminUser.username, "created_at": AdminUser.created_at}


class AdminAccountError(InvalidInputError, UserError):
    """The account cannot be created as asked; the message says why (422 / CLI one-liner)."""


class AdminExistsError(AdminAccountError):
    """An admin of that name exists already (409)."""

    kind = ErrorKind.CONFLICT


def admin_out(row: AdminUser) -> AdminOut:
    return AdminOut(
        id=row.id,
        username=row.username,
        disabled=row.disabled,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def _check_new_account(username: str, password: str) -> None:
    if not USERNAME_PATTERN.fullmatch(username):
        raise AdminAccountError(
            f"username {username!r} is invalid: use 2-48 characters, lowercase letters, digits, "
            "'_', '.' or '-', starting with a letter"
        )
    try:
        check_policy(password)
    except WeakPasswordError as exc:
        raise AdminAccountError(str(exc)) from exc


async def create_admin(session: AsyncSession, username: str, password: str) -> AdminUser:
    """Add an admin to the session (the caller commits).

    Refuses invalid names and weak passwords (AdminAccountError) and duplicates (AdminExistsError).
    """
    _check_new_account(username, password)
    existing = await session.scalar(select(AdminUser.id).where(AdminUser.username == username))
    if existing is not None:
        raise AdminExistsError(f"an admin named {username!r} already exists")
    hashed = await anyio.to_thread.run_sync(hash_password, password)
    row = AdminUser(username=username, password_hash=hashed)
    session.add(row)
    await session.flush()
    return row


async def setup_required(session: AsyncSession) -> bool:
    """True while no admin exists, the only time `setup_first_admin` can succeed."""
    return not await session.scalar(select(select(AdminUser.id).exists()))


async def setup_first_admin(session: AsyncSession, credentials: Credentials) -> AdminOut:
    """Create the first admin; ConflictError once any admin exists, even under concurrent calls.

    The insert is conditional on an empty table in one statement; PostgreSQL additionally takes a
    table lock first (under READ COMMITTED two such inserts could both see an empty table), while
    SQLite runs writers one at a time anyway.
    """
    _check_new_account(credentials.username, credentials.password)
    hashed = await anyio.to_thread.run_sync(hash_password, credentials.password)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE admin_users IN SHARE ROW EXCLUSIVE MODE"))
    values = select(
        literal(credentials.username), literal(hashed), literal(utcnow(), UTCDateTime())
    ).where(~select(AdminUser.id).exists())
    added = await session.execute(
        insert(AdminUser).from_select(["username", "password_hash", "created_at"], values)
    )
    if added.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an INSERT
        raise ConflictError("setup is done: an admin exists; log in at /api/auth/login")
    row = await session.scalar(select(AdminUser).where(AdminUser.username == credentials.username))
    assert row is not None  # noqa: S101 - inserted by this transaction
    record_activity(
        session, admin(row.username), "admin.setup", target_kind="admin", target_id=row.id
    )
    return admin_out(row)


async def get_admin(session: AsyncSession, admin_id: int) -> AdminOut:
    row = await session.get(AdminUser, admin_id)
    if row is None:
        raise NotFoundError(f"no admin with id {admin_id}")
    return admin_out(row)


async def add_admin(session: AsyncSession, actor: Actor, credentials: Credentials) -> AdminOut:
    """Another admin, created by `actor`."""
    row = await create_admin(session, credentials.username, credentials.password)
    record_activity(session, actor, "admin.created", target_kind="admin", target_id=row.id)
    return admin_out(row)


async def list_admins(
    session: AsyncSession,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    disabled: bool | None = None,
    sort: str | None = None,
) -> Page[AdminOut]:
    """Admins (only disabled or only active ones if `disabled` is given), by name by default."""
    order = ordering(sort, SORT_FIELDS, default="username", tiebreak=AdminUser.id)
    query = select(AdminUser)
    if disabled is not None:
        query = query.where(AdminUser.disabled == disabled)
    return await paginate(
        session, query.order_by(*order), admin_out, page=page, page_size=page_size
    )


async def disable_admin(
    session: AsyncSession, actor_id: int, actor: Actor, admin_id: int
) -> AdminOut:
    """Disable an admin and end their sessions; nobody can disable themself (no lock-out)."""
    if admin_id == actor_id:
        raise ConflictError("you cannot disable your own account; ask another admin")
    row = await session.get(AdminUser, admin_id)
    if row is None:
        raise NotFoundError(f"no admin with id {admin_id}")
    if not row.disabled:
        row.disabled = True
        await revoke_admin_sessions(session, admin_id)
        record_activity(session, actor, "admin.disabled", target_kind="admin", target_id=admin_id)
    return admin_out(row)


async def change_password(
    session: AsyncSession, admin_id: int, actor: Actor, change: PasswordChange
) -> None:
    """Set a new password after checking the current one; every session of the admin ends."""
    row = await session.get(AdminUser, admin_id)
    if row is None:
        raise AuthError("this admin account no longer exists")
    if not await anyio.to_thread.run_sync(
        verify_password, row.password_hash, change.current_password
    ):
        raise ForbiddenError("the current password is wrong; the password was not changed")
    try:
        check_policy(change.new_password)
    except WeakPasswordError as exc:
        raise AdminAccountError(str(exc)) from exc
    row.password_hash = await anyio.to_thread.run_sync(hash_password, change.new_password)
    await revoke_admin_sessions(session, admin_id)
    record_activity(
        session, actor, "admin.password_changed", target_kind="admin", target_id=admin_id
    )
