"""/servers/{server}/tools: read tools, their versions and diffs; enable, disable, roll back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from polybox.api.deps import AdminDep, SessionDep, current_admin
from polybox.api.schemas import (
    PAGE_SIZE_DEFAULT,
    PageParam,
    PageSizeParam,
    Rollback,
    sort_query,
)
from polybox.forge import approvals, tools, versions
from polybox.forge.pages import Page
from polybox.forge.schemas import ToolDiffOut, ToolOut, ToolVersionDetailOut, ToolVersionOut
from polybox.store.enums import ToolStatus

router = APIRouter(
    prefix="/servers/{server}/tools", tags=["tools"], dependencies=[Depends(current_admin)]
)
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=Page[ToolOut], summary="List a server's tools")
async def list_tools(
    *,
    server: str,
    session: SessionDep,
    status: ToolStatus | None = None,
    sort: str | None = sort_query(tools.SORT_FIELDS, "name"),
    page: PageParam = 1,
    page_size: PageSizeParam = PAGE_SIZE_DEFAULT,
) -> Page[ToolOut]:
    return await tools.list_tools(
        session, server, page=page, page_size=page_size, status=status, sort=sort
    )


@router.get("/{tool}", response_model=ToolOut, summary="Get a tool with its code and analysis")
async def get_tool(server: str, tool: str, session: SessionDep) -> ToolOut:
    return await tools.get_tool(session, server, tool)


@router.post("/{tool}/enable", response_model=ToolOut, summary="Show the tool to clients again")
async def enable_tool(server: str, tool: str, admin: AdminDep, session: SessionDep) -> ToolOut:
    return await approvals.set_tool_enabled(session, admin.actor, server, tool, True)


@router.post("/{tool}/disable", response_model=ToolOut, summary="Hide the tool from clients")
async def disable_tool(server: str, tool: str, admin: AdminDep, session: SessionDep) -> ToolOut:
    return await approvals.set_tool_enabled(session, admin.actor, server, tool, False)


@router.get(
    "/{tool}/versions", response_model=Page[ToolVersionOut], summary="List versions, newest first"
)
async def list_versions(
    *,
    server: str,
    tool: str,
    session: SessionDep,
    page: PageParam = 1,
    page_size: PageSizeParam = PAGE_SIZE_DEFAULT,
) -> Page[ToolVersionOut]:
    return await versions.list_tool_versions(session, server, tool, page=page, page_size=page_size)


@router.get(
    "/{tool}/versions/{number}",
    response_model=ToolVersionDetailOut,
    summary="Get a version's code and its diff to the current code",
)
async def get_version(
    server: str, tool: str, number: VersionNumber, session: SessionDep
) -> ToolVersionDetailOut:
    return await versions.get_tool_version(session, server, tool, number)


@router.get("/{tool}/diff", response_model=ToolDiffOut, summary="Unified diff between two versions")
async def diff_versions(
    *,
    server: str,
    tool: str,
    session: SessionDep,
    old: Annotated[int, Query(alias="from", ge=1)],
    new: Annotated[int, Query(alias="to", ge=1)],
) -> ToolDiffOut:
    return await versions.diff_tool_versions(session, server, tool, old, new)


@router.post(
    "/{tool}/rollback",
    response_model=ToolOut,
    summary="Make an old version's code current again (resets approval)",
)
async def rollback_tool(
    server: str, tool: str, body: Rollback, admin: AdminDep, session: SessionDep
) -> ToolOut:
    return await versions.rollback_tool(session, admin.actor, server, tool, body.version)
