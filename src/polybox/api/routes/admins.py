"""Admin accounts: list, create, disable (never yourself)."""

from __future__ import annotations

from fastapi import APIRouter, status

from polybox.api.deps import AdminDep, RowId, SessionDep
from polybox.auth import admins
from polybox.auth.schemas import AdminOut, Credentials
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page

router = APIRouter(prefix="/admins", tags=["admins"])


@router.get("", response_model=Page[AdminOut])
async def list_admins(
    principal: AdminDep,
    session: SessionDep,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    disabled: bool | None = None,
    sort: str | None = None,
) -> Page[AdminOut]:
    """Admins, by username unless `sort` says (`username`, `created_at`, `-` for descending)."""
    return await admins.list_admins(
        session, page=page, page_size=page_size, disabled=disabled, sort=sort
    )


@router.post("", response_model=AdminOut, status_code=status.HTTP_201_CREATED)
async def create_admin(
    credentials: Credentials, principal: AdminDep, session: SessionDep
) -> AdminOut:
    """Add an admin (username rules and password policy apply; 409 for a taken name)."""
    return await admins.add_admin(session, principal.actor, credentials)


@router.post("/{admin_id}/disable", response_model=AdminOut)
async def disable_admin(admin_id: RowId, principal: AdminDep, session: SessionDep) -> AdminOut:
    """Disable an admin: they can no longer log in and their sessions end (409 for yourself)."""
    return await admins.disable_admin(session, principal.id, principal.actor, admin_id)
