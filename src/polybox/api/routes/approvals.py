"""/approvals: the review queues (tools, modules, network) and the decisions on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from polybox.api.deps import AdminDep, RowId, SessionDep, current_admin
from polybox.api.schemas import (
    PAGE_SIZE_DEFAULT,
    BulkDecisions,
    InstallRetry,
    PageParam,
    PageSizeParam,
    Rejection,
    RequestDecision,
    ReviewNote,
    sort_query,
)
from polybox.forge import approvals, requests, reviews
from polybox.forge.bulk_decisions import DecisionResult, apply_decisions
from polybox.forge.pages import Page
from polybox.forge.schemas import RequestKind, RequestOut, ToolOut, ToolReviewOut

router = APIRouter(prefix="/approvals", tags=["approvals"], dependencies=[Depends(current_admin)])


@router.get(
    "/tools",
    response_model=Page[ToolReviewOut],
    summary="Tools pending review, with the diff since their last approval",
)
async def list_tool_reviews(
    *,
    session: SessionDep,
    server: Annotated[str | None, Query(max_length=64)] = None,
    sort: str | None = sort_query(reviews.SORT_FIELDS, "updated_at"),
    page: PageParam = 1,
    page_size: PageSizeParam = PAGE_SIZE_DEFAULT,
) -> Page[ToolReviewOut]:
    return await reviews.list_tool_reviews(
        session, page=page, page_size=page_size, server=server, sort=sort
    )


@router.get("/modules", response_model=Page[RequestOut], summary="Pending module requests")
async def list_module_requests(
    session: SessionDep, page: PageParam = 1, page_size: PageSizeParam = PAGE_SIZE_DEFAULT
) -> Page[RequestOut]:
    return await requests.list_pending_requests(
        session, page=page, page_size=page_size, kind="module"
    )


@router.get(
    "/modules/installs",
    response_model=Page[RequestOut],
    summary="Approved modules and their installs (installing, installed, failed), newest first",
)
async def list_module_installs(
    session: SessionDep, page: PageParam = 1, page_size: PageSizeParam = PAGE_SIZE_DEFAULT
) -> Page[RequestOut]:
    return await requests.list_module_installs(session, page=page, page_size=page_size)


@router.post(
    "/module/{request_id}/install",
    response_model=RequestOut,
    summary="Install an approved module again after its install failed",
)
async def retry_install(
    request_id: RowId, body: InstallRetry, admin: AdminDep, session: SessionDep
) -> RequestOut:
    return await requests.retry_install(session, admin.actor, request_id, package=body.package)


@router.get("/network", response_model=Page[RequestOut], summary="Pending network requests")
async def list_network_requests(
    session: SessionDep, page: PageParam = 1, page_size: PageSizeParam = PAGE_SIZE_DEFAULT
) -> Page[RequestOut]:
    return await requests.list_pending_requests(
        session, page=page, page_size=page_size, kind="network"
    )


@router.post(
    "/tools/{server}/{tool}/approve",
    response_model=ToolOut,
    summary="Approve a tool's current version",
)
async def approve_tool(
    server: str, tool: str, body: ReviewNote, admin: AdminDep, session: SessionDep
) -> ToolOut:
    return await approvals.approve_tool(session, admin.actor, server, tool, body.note)


@router.post("/tools/{server}/{tool}/reject", response_model=ToolOut, summary="Reject a tool")
async def reject_tool(
    server: str, tool: str, body: Rejection, admin: AdminDep, session: SessionDep
) -> ToolOut:
    return await approvals.reject_tool(session, admin.actor, server, tool, body.reason)


@router.post(
    "/tools/{server}/{tool}/revoke",
    response_model=ToolOut,
    summary="Withdraw an approval (the tool is pending review again)",
)
async def revoke_tool(
    server: str, tool: str, body: ReviewNote, admin: AdminDep, session: SessionDep
) -> ToolOut:
    return await approvals.revoke_tool(session, admin.actor, server, tool, body.note)


@router.post(
    "/{kind}/{request_id}/decide",
    response_model=RequestOut,
    summary="Approve (granting it) or reject a module or network request",
)
async def decide_request(
    kind: RequestKind,
    request_id: RowId,
    body: RequestDecision,
    admin: AdminDep,
    session: SessionDep,
) -> RequestOut:
    return await requests.decide_request(
        session,
        admin.actor,
        kind,
        request_id,
        approve=body.approve,
        note=body.note,
        package=body.package,
    )


@router.post(
    "/bulk",
    response_model=list[DecisionResult],
    summary="Apply several decisions; each succeeds or fails on its own",
)
async def bulk_decide(
    body: BulkDecisions, admin: AdminDep, session: SessionDep
) -> list[DecisionResult]:
    return await apply_decisions(session, admin.actor, body.items)
