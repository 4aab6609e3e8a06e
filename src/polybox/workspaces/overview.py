"""What admins see of the .NET half as a whole: each version's state, the settings it runs by,
and its numbers on the dashboard.

The version states are those `polybox doctor` reports (available, runtime, pre-warmed), plus
what only the running process knows (compile server warm, its memory). The settings themselves,
and the admins' changes to them, are in `live_settings.py`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from polybox.config import Settings
from polybox.forge.dashboard import ForgeDashboardOut, dashboard
from polybox.forge.schemas import Out
from polybox.sandbox.dotnet import DOTNET_VERSIONS, DotnetRuntime
from polybox.store.enums import WorkspaceStatus
from polybox.workspaces import store as rows
from polybox.workspaces.snippet_log import SnippetStats, snippet_stats


class VersionStatusOut(Out):
    """One .NET version in this process."""

    version: str
    enabled: bool
    available: bool  # prepared: runtime, reference assemblies and runner are in the data dir
    runtime: str  # e.g. ".NET 8.0.31"; "" when not prepared
    prewarmed: bool  # its compile server starts with polybox
    warm: bool  # its compile server runs now
    compiler_memory_mb: float | None  # the compile server's working set while it runs
    fix: str  # what to do when not available, else ""


def version_status(runtime: DotnetRuntime | None, settings: Settings) -> list[VersionStatusOut]:
    """Every supported version, oldest first; all unavailable in a process with no sandbox."""
    prewarmed = set(settings.dotnet_prewarm_versions)
    if runtime is None:
        return [
            VersionStatusOut(
                version=version,
                enabled=version in settings.dotnet_versions,
                available=False,
                runtime="",
                prewarmed=version in prewarmed,
                warm=False,
                compiler_memory_mb=None,
                fix="this polybox process has no sandbox; `polybox doctor` says what is missing",
            )
            for version in DOTNET_VERSIONS
        ]
    return [
        VersionStatusOut(
            version=status.version,
            enabled=status.enabled,
            available=status.available,
            runtime=status.runtime,
            prewarmed=status.version in prewarmed,
            warm=status.warm,
            compiler_memory_mb=status.compiler_rss_mb,
            fix=status.fix,
        )
        for status in runtime.status().values()
    ]


class DashboardOut(ForgeDashboardOut):
    """The dashboard: the forge's numbers and the .NET half's."""

    snippets: SnippetStats
    running_workspaces: dict[str, int]  # by .NET version, every supported version listed


async def admin_dashboard(session: AsyncSession, instance: str) -> DashboardOut:
    """Everything on the admin dashboard, as of now; workspaces of this instance's label."""
    forge = await dashboard(session)
    running = await rows.listed(session, instance, statuses=(WorkspaceStatus.RUNNING,))
    return DashboardOut(
        **dict(forge),
        snippets=await snippet_stats(session, forge.generated_at),
        running_workspaces={
            version: sum(row.version == version for row in running) for version in DOTNET_VERSIONS
        },
    )
