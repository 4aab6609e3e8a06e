"""/logs: execution logs of forged-tool calls, searched across servers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from polybox.api.deps import BigRowId, SessionDep, current_admin
from polybox.api.schemas import PAGE_SIZE_DEFAULT, PageParam, PageSizeParam, sort_query
from polybox.forge import log_search
from polybox.forge.pages import Page
from polybox.forge.schemas import ExecutionLogOut
from polybox.store.enums import ExecutionStatus

router = APIRouter(prefix="/logs", tags=["logs"], dependencies=[Depends(current_admin)])


@router.get("", response_model=Page[ExecutionLogOut], summary="Search execution logs")
async def search_logs(
    *,
    session: SessionDep,
    server: Annotated[str | None, Query(max_length=64)] = None,
    tool: Annotated[str | None, Query(max_length=64)] = None,
    status: ExecutionStatus | None = None,
    since: Annotated[AwareDatetime | None, Query(description="Inclusive, ISO 8601")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Exclusive, ISO 8601")] = None,
    sort: str | None = sort_query(log_search.SORT_FIELDS, "-created_at"),
    page: PageParam = 1,
    page_size: PageSizeParam = PAGE_SIZE_DEFAULT,
) -> Page[ExecutionLogOut]:
    return await log_search.search_logs(
        session,
        server=server,
        tool=tool,
        status=status,
        since=since,
        until=until,
        page=page,
        page_size=page_size,
        sort=sort,
    )


@router.get("/{log_id}", response_model=ExecutionLogOut, summary="Get one execution log")
async def get_log(log_id: BigRowId, session: SessionDep) -> ExecutionLogOut:
    return await log_search.get_log(session, log_id)
