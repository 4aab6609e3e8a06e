"""Admin accounts: creation with a validated name and an argon2id-hashed password."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.auth.passwords import WeakPasswordError, check_policy, hash_password
from polybox.errors import UserError
from polybox.store.models import AdminUser

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{1,47}$")


class AdminAccountError(UserError):
    """The account cannot be created as asked; the message says why."""


async def create_admin(session: AsyncSession, username: str, password: str) -> AdminUser:
    """Add an admin to the session (the caller commits).

    Refuses invalid names, weak passwords and duplicates with an AdminAccountError.
    """
    if not USERNAME_PATTERN.fullmatch(username):
        raise AdminAccountError(
            f"username {username!r} is invalid: use 2-48 characters, lowercase letters, digits, "
            "'_', '.' or '-', starting with a letter"
        )
    try:
        check_policy(password)
    except WeakPasswordError as exc:
        raise AdminAccountError(str(exc)) from exc
    existing = await session.scalar(select(AdminUser.id).where(AdminUser.username == username))
    if existing is not None:
        raise AdminAccountError(f"an admin named {username!r} already exists")
    admin = AdminUser(username=username, password_hash=hash_password(password))
    session.add(admin)
    await session.flush()
    return admin
