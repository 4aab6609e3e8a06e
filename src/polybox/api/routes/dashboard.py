"""/dashboard: counts, pending decisions and how tool calls went over the last 24 hours; snippet
runs over the last days."""

from __future__ import annotations

from fastapi import APIRouter

from polybox.api.deps import AdminDep, SessionDep
from polybox.workspaces.overview import AdminDashboardOut, admin_dashboard

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("", response_model=AdminDashboardOut, summary="Dashboard statistics")
async def get_dashboard(admin: AdminDep, session: SessionDep) -> AdminDashboardOut:
    return await admin_dashboard(session)
