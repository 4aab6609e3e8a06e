"""/modules: what the package index says about a module before an admin allows it."""

from __future__ import annotations

from fastapi import APIRouter

from polybox.api.deps import AdminDep, InstanceDep
from polybox.forge.package_index import ModuleInfoOut, module_info

router = APIRouter(prefix="/modules", tags=["modules"])


@router.get(
    "/{name}/info",
    response_model=ModuleInfoOut,
    summary="Package index metadata of a module",
    responses={
        404: {"description": "The package index has no such package"},
        503: {"description": "The package index is slow, unreachable or failing"},
    },
)
async def get_module_info(name: str, admin: AdminDep, instance: InstanceDep) -> ModuleInfoOut:
    settings = instance.settings
    return await module_info(settings.pypi_url, name, timeout=settings.pypi_timeout_seconds)
