"""API tokens for MCP clients: create (the token is shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, status

from polybox.api.deps import AdminDep, RowId, SessionDep
from polybox.auth import api_tokens
from polybox.auth.schemas import ApiTokenCreated, ApiTokenIn, ApiTokenOut
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.get("", response_model=Page[ApiTokenOut])
async def list_tokens(
    principal: AdminDep,
    session: SessionDep,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    revoked: bool | None = None,
    sort: str | None = None,
) -> Page[ApiTokenOut]:
    """Tokens, newest first unless `sort` says (`name`, `created_at`, `expires_at`,
    `last_used_at`; `-` for descending)."""
    return await api_tokens.list_api_tokens(
        session, page=page, page_size=page_size, revoked=revoked, sort=sort
    )


@router.post("", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED)
async def create_token(
    new: ApiTokenIn, principal: AdminDep, session: SessionDep
) -> ApiTokenCreated:
    """Create a token; copy `token` from the answer: it is never shown again."""
    return await api_tokens.create_api_token(session, principal.id, principal.actor, new)


@router.post("/{token_id}/revoke", response_model=ApiTokenOut)
async def revoke_token(token_id: RowId, principal: AdminDep, session: SessionDep) -> ApiTokenOut:
    """Revoke a token: MCP clients using it are refused from now on."""
    return await api_tokens.revoke_api_token(session, token_id, principal.actor)
