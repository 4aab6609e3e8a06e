"""/dashboard: counts, pending decisions and how tool calls went over the last 24 hours."""

from __future__ import annotations

from fastapi import APIRouter

from polybox.api.deps import AdminDep, SessionDep
from polybox.forge.dashboard import DashboardOut, dashboard

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("", response_model=DashboardOut, summary="Dashboard statistics")
async def get_dashboard(admin: AdminDep, session: SessionDep) -> DashboardOut:
    return await dashboard(session)
