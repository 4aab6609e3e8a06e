"""/servers/{server}/secrets: keys and whether they are set; values go in and never come out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from polybox.api.deps import AdminDep, InstanceDep, SessionDep, current_admin
from polybox.api.schemas import (
    PAGE_SIZE_DEFAULT,
    PageParam,
    PageSizeParam,
    SecretCreate,
    SecretValue,
)
from polybox.forge import secrets
from polybox.forge.pages import Page
from polybox.forge.schemas import SecretOut

router = APIRouter(
    prefix="/servers/{server}/secrets", tags=["secrets"], dependencies=[Depends(current_admin)]
)


@router.get("", response_model=Page[SecretOut], summary="List a server's secret keys")
async def list_secrets(
    server: str,
    session: SessionDep,
    page: PageParam = 1,
    page_size: PageSizeParam = PAGE_SIZE_DEFAULT,
) -> Page[SecretOut]:
    return await secrets.page_secrets(session, server, page=page, page_size=page_size)


@router.post(
    "",
    response_model=SecretOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a secret without a value (a placeholder to fill in later)",
)
async def create_secret(
    server: str, body: SecretCreate, admin: AdminDep, session: SessionDep
) -> SecretOut:
    return await secrets.create_secret_placeholder(
        session, admin.actor, server, body.key, body.description
    )


@router.put(
    "/{key}",
    response_model=SecretOut,
    summary="Set or replace a secret's value (creating the secret if needed)",
)
async def set_secret_value(
    *,
    server: str,
    key: str,
    body: SecretValue,
    admin: AdminDep,
    session: SessionDep,
    instance: InstanceDep,
) -> SecretOut:
    return await secrets.set_secret_value(
        session, admin.actor, instance.secret_box, server, key, value=body.value, raw=body.raw
    )


@router.delete(
    "/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    summary="Delete a secret and its value",
)
async def delete_secret(server: str, key: str, admin: AdminDep, session: SessionDep) -> None:
    await secrets.delete_secret(session, admin.actor, server, key)
