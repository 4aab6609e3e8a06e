"""/settings: the forge's runtime settings, the security profiles that set several at once, and
the .NET startup settings (read-only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from polybox.api.deps import AdminDep, InstanceDep, SessionDep, current_admin
from polybox.api.schemas import SettingsPatch
from polybox.forge import settings
from polybox.forge.settings import ForgeSettings, SettingsProfile
from polybox.workspaces.overview import StartupSettingOut, dotnet_settings

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
    response_model=list[StartupSettingOut],
    summary="The .NET startup settings (read-only: set their environment variable and restart)",
)
async def get_dotnet_settings(instance: InstanceDep) -> list[StartupSettingOut]:
    return dotnet_settings(instance.settings)
