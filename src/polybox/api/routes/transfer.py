"""/export and /import: a signed JSON document of servers, and its all-or-nothing import.

`GET /export` downloads the document (`?server=NAME` for one server). `POST /import` takes the
document as the JSON body, or as the `file` field of a multipart upload, and answers with what it
created; `?trust=true` accepts a file from another instance (its tools then wait for review).
Bodies are limited by `POLYBOX_API_MAX_BODY_BYTES`; `polybox import FILE` has no such limit.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from polybox.api.deps import AdminDep, InstanceDep, SessionDep, current_admin
from polybox.forge.errors import InvalidInputError
from polybox.forge.transfer import ImportResult, export_servers, import_document
from polybox.store.types import utcnow

router = APIRouter(tags=["transfer"], dependencies=[Depends(current_admin)])

_DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An export document, as JSON or as the `file` of a multipart upload.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.get(
    "/export",
    summary="Download a signed export of one server or all of them",
    response_class=JSONResponse,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def export(
    admin: AdminDep,
    session: SessionDep,
    instance: InstanceDep,
    server: Annotated[str | None, Query(max_length=64, description="Only this server")] = None,
) -> JSONResponse:
    document = await export_servers(session, admin.actor, instance.secret_box, server=server)
    name = f"polybox-{server or 'all'}-{utcnow():%Y%m%d-%H%M%S}.json"
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post(
    "/import",
    response_model=ImportResult,
    status_code=status.HTTP_201_CREATED,
    summary="Import an export document (all or nothing)",
    openapi_extra=_DOCUMENT_BODY,
)
async def import_(
    request: Request,
    admin: AdminDep,
    session: SessionDep,
    instance: InstanceDep,
    trust: Annotated[
        bool, Query(description="Accept a file exported by another instance (tools wait review)")
    ] = False,
) -> ImportResult:
    document = await _document(request)
    return await import_document(
        session, admin.actor, instance.secret_box, document,
        gateway=instance.runner.external, trust=trust,
    )  # fmt: skip


async def _document(request: Request) -> Any:
    """The parsed JSON of the body, or of the uploaded `file` of a multipart body."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=1) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidInputError("upload the export document as the form field `file`")
            data = await upload.read()
    else:
        data = await request.body()
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise InvalidInputError(f"the export document is not valid JSON: {exc}") from None
