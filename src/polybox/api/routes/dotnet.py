"""/dotnet: the .NET half as a whole — each version's state, and the record of snippet runs."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from polybox.api.deps import BigRowId, InstanceDep, SessionDep, current_admin
from polybox.api.schemas import PAGE_SIZE_DEFAULT, PageParam, PageSizeParam
from polybox.forge.pages import Page
from polybox.workspaces import snippet_log
from polybox.workspaces.overview import VersionStatusOut, version_status
from polybox.workspaces.snippet_log import SnippetRunOut

router = APIRouter(prefix="/dotnet", tags=["dotnet"], dependencies=[Depends(current_admin)])


@router.get(
    "/status",
    response_model=list[VersionStatusOut],
    summary="Each .NET version: available, runtime, pre-warmed, compile server and its memory",
)
async def get_status(instance: InstanceDep) -> list[VersionStatusOut]:
    return version_status(instance.dotnet, await instance.live.current())


@router.get(
    "/snippets",
    response_model=Page[SnippetRunOut],
    summary="Snippet runs, newest first (code kept dotnet_snippet_code_retention_days)",
)
async def list_snippet_runs(
    session: SessionDep, page: PageParam = 1, page_size: PageSizeParam = PAGE_SIZE_DEFAULT
) -> Page[SnippetRunOut]:
    return await snippet_log.list_runs(session, page=page, page_size=page_size)


@router.get("/snippets/{run_id}", response_model=SnippetRunOut, summary="Get one snippet run")
async def get_snippet_run(run_id: BigRowId, session: SessionDep) -> SnippetRunOut:
    return await snippet_log.get_run(session, run_id)
