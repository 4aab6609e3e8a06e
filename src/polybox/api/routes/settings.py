"""/settings: the forge's runtime settings, the security profiles that set several at once, and
the .NET settings (some changeable at run time, the others shown with their variable)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from polybox.api.deps import AdminDep, InstanceDep, SessionDep, current_admin
from polybox.api.schemas import SettingsPatch
from polybox.forge import settings
from polybox.forge.settings import ForgeSettings, SettingsProfile
from polybox.workspaces import live_settings
from polybox.workspaces.live_settings import DotnetSettingOut

router = APIRouter(prefix="/settings", tags=["settings"], dependencies=[Depends(current_admin)])


@router.get("", response_model=ForgeSettings, summary="Get the settings")
async def get_settings(session: SessionDep) -> ForgeSettings:
    return await settings.get_settings(session)


@router.patch("", response_model=ForgeSettings, summary="Change some settings")
async def update_settings(
    body: SettingsPatch, admin: AdminDep, session: SessionDep
) -> ForgeSettings:
    return await settings.update_settings(
        session, admin.actor, **body.model_dump(exclude_unset=True)
    )


@router.get(
    "/profiles",
    response_model=list[SettingsProfile],
    summary="The security profiles, their values and which one is active",
)
async def list_profiles(session: SessionDep) -> list[SettingsProfile]:
    return await settings.list_profiles(session)


@router.post("/profile/{name}", response_model=ForgeSettings, summary="Apply a security profile")
async def apply_profile(name: str, admin: AdminDep, session: SessionDep) -> ForgeSettings:
    return await settings.apply_profile(session, admin.actor, name)


@router.get(
    "/dotnet",
    response_model=list[DotnetSettingOut],
    summary="The .NET settings: value now, startup value, and whether changeable here",
)
async def get_dotnet_settings(instance: InstanceDep, session: SessionDep) -> list[DotnetSettingOut]:
    return await live_settings.describe(session, instance.settings)


@router.patch(
    "/dotnet",
    response_model=list[DotnetSettingOut],
    summary="Change .NET settings (the next call on every replica uses them)",
    openapi_extra={"requestBody": live_settings.PATCH_BODY},
)
async def update_dotnet_settings(
    changes: Annotated[dict[str, Any], Body()],
    admin: AdminDep,
    instance: InstanceDep,
    session: SessionDep,
) -> list[DotnetSettingOut]:
    """Validated by the settings themselves, so a startup setting sent here is named as one."""
    return await live_settings.update(session, admin.actor, instance.settings, changes)


@router.delete(
    "/dotnet/{name}",
    response_model=list[DotnetSettingOut],
    summary="Bring one .NET setting back to its startup value",
)
async def reset_dotnet_setting(
    name: str, admin: AdminDep, instance: InstanceDep, session: SessionDep
) -> list[DotnetSettingOut]:
    return await live_settings.reset(session, admin.actor, instance.settings, name)
