"""/dashboard: counts, pending decisions and how tool calls went over the last 24 hours; snippet
runs over the last days; running workspaces."""

from __future__ import annotations

from fastapi import APIRouter

from polybox.api.deps import AdminDep, InstanceDep, SessionDep
from polybox.workspaces.overview import DashboardOut, admin_dashboard
from polybox.workspaces.rules import instance_label

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("", response_model=DashboardOut, summary="Dashboard statistics")
async def get_dashboard(
    admin: AdminDep, instance: InstanceDep, session: SessionDep
) -> DashboardOut:
    return await admin_dashboard(session, instance_label(instance.settings))
