"""Services the admin API needs: list filters and sorting, server edits, version diffs, the review
queue, log search, settings profiles and bulk decisions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge import approvals, requests, servers, settings, tools, versions
from polybox.forge.actors import admin, llm
from polybox.forge.bulk_decisions import Decision, apply_decisions
from polybox.forge.errors import ConflictError, InvalidInputError, NotFoundError
from polybox.forge.log_search import get_log, search_logs
from polybox.forge.reviews import list_tool_reviews
from polybox.forge.unit import transaction
from polybox.store.enums import ExecutionStatus, ServerStatus, ToolStatus
from polybox.store.models import ExecutionLog

Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")
pytestmark = pytest.mark.anyio
ROOT = admin("root")
CLAUDE = llm("claude")
CODE_V1 = 'async def main(city: str) -> dict:\n    """Weather for a city."""\n    return {}\n'
CODE_V2 = 'async def main(city: str) -> dict:\n    """Weather for a city."""\n    return {"a": 1}\n'


async def run(sessions: Sessions, call: Callable[..., Awaitable[T]], *args: Any, **kw: Any) -> T:
    async with transaction(sessions, None) as session:
        return await call(session, *args, **kw)


async def pending_tool(sessions: Sessions, name: str = "now") -> None:
    await run(sessions, tools.create_tool, CLAUDE, "weather", name, CODE_V1)
    await run(sessions, approvals.request_publish, CLAUDE, "weather", name)


@pytest.fixture
async def weather(sessions: Sessions) -> str:
    await run(sessions, servers.create_server, CLAUDE, "weather", "Forecasts")
    return "weather"


async def test_servers_filter_by_status_and_name_and_sort_descending(sessions: Sessions) -> None:
    for name in ("alpha_maps", "beta_maps", "gamma"):
        await run(sessions, servers.create_server, CLAUDE, name)
    await run(sessions, servers.start_server, CLAUDE, "beta_maps")
    listed = await run(sessions, servers.list_servers, name_contains="MAPS", sort="-name")
    assert [item.name for item in listed.items] == ["beta_maps", "alpha_maps"]
    running = await run(sessions, servers.list_servers, status=ServerStatus.RUNNING)
    assert [item.name for item in running.items] == ["beta_maps"]
    with pytest.raises(InvalidInputError, match="sort: 'size' is not sortable"):
        await run(sessions, servers.list_servers, sort="size")


async def test_a_server_description_is_replaced_and_checked(
    sessions: Sessions, weather: str
) -> None:
    updated = await run(sessions, servers.update_server, ROOT, weather, description="Rain")
    assert updated.description == "Rain"
    with pytest.raises(InvalidInputError, match="description"):
        await run(sessions, servers.update_server, ROOT, weather, description="x" * 5000)


async def test_two_versions_diff_both_ways_and_unknown_versions_are_not_found(
    sessions: Sessions, weather: str
) -> None:
    await run(sessions, tools.create_tool, CLAUDE, weather, "now", CODE_V1)
    await run(sessions, tools.update_tool, CLAUDE, weather, "now", code=CODE_V2)
    forward = await run(sessions, versions.diff_tool_versions, weather, "now", 1, 2)
    assert '-    return {}\n+    return {"a": 1}\n' in forward.diff
    assert forward.diff.startswith("--- version 1\n+++ version 2\n")
    backward = await run(sessions, versions.diff_tool_versions, weather, "now", 2, 1)
    assert '-    return {"a": 1}\n+    return {}\n' in backward.diff
    same = await run(sessions, versions.diff_tool_versions, weather, "now", 2, 2)
    assert same.diff == ""
    with pytest.raises(NotFoundError, match="no version 9"):
        await run(sessions, versions.diff_tool_versions, weather, "now", 1, 9)


async def test_the_review_queue_diffs_against_the_last_approved_version(
    sessions: Sessions, weather: str
) -> None:
    await pending_tool(sessions, "fresh")
    await pending_tool(sessions, "now")
    await run(sessions, approvals.approve_tool, ROOT, weather, "now")
    await run(sessions, tools.update_tool, CLAUDE, weather, "now", code=CODE_V2)
    await run(sessions, approvals.request_publish, CLAUDE, weather, "now")
    queue = await run(sessions, list_tool_reviews, sort="name")
    fresh, changed = queue.items
    assert (fresh.tool.name, fresh.base_version) == ("fresh", None)
    assert fresh.diff.startswith("--- (never approved)\n+++ version 1 (current)\n")
    assert (changed.tool.name, changed.base_version, changed.tool.code) == ("now", 1, CODE_V2)
    assert '-    return {}\n+    return {"a": 1}\n' in changed.diff
    await run(sessions, approvals.reject_tool, ROOT, weather, "fresh", "no")
    assert (await run(sessions, list_tool_reviews, server=weather)).total == 1


async def test_logs_are_searched_by_names_status_and_half_open_time_range(
    sessions: Sessions,
) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    async with transaction(sessions, None) as session:
        for minute, (tool, status) in enumerate(
            [("now", ExecutionStatus.OK), ("now", ExecutionStatus.ERROR), ("week", "ok")]
        ):
            session.add(
                ExecutionLog(
                    server_name="weather", tool_name=tool, status=ExecutionStatus(status),
                    duration_ms=1.0, created_at=start + timedelta(minutes=minute),
                )
            )  # fmt: skip
    every = await run(sessions, search_logs, server="weather")
    assert [item.tool for item in every.items] == ["week", "now", "now"]  # newest first
    errors = await run(sessions, search_logs, tool="now", status=ExecutionStatus.ERROR)
    assert [item.status for item in errors.items] == [ExecutionStatus.ERROR]
    window = await run(sessions, search_logs, since=start, until=start + timedelta(minutes=1))
    assert [item.created_at for item in window.items] == [start]
    assert (await run(sessions, get_log, every.items[0].id)).tool == "week"
    with pytest.raises(InvalidInputError, match="until: must be later than since"):
        await run(sessions, search_logs, since=start, until=start)
    with pytest.raises(InvalidInputError, match="since: give a time zone"):
        await run(sessions, search_logs, since=datetime(2025, 1, 1))
    with pytest.raises(NotFoundError):
        await run(sessions, get_log, 999)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("strict", {"remote_tool_editing": "none", "tool_approval_mode": "require_approval"}),
        ("balanced", {"remote_tool_editing": "all", "network_access_policy": "require_approval"}),
        (
            "permissive",
            {
                "tool_approval_mode": "auto_approve",
                "module_approval_mode": "auto_approve",
                "network_access_policy": "allow_all_public",
                "test_before_approval": True,
                "redact_secrets_in_output": True,
            },
        ),
    ],
)
async def test_a_profile_sets_its_settings_and_is_then_the_active_one(
    sessions: Sessions, name: str, expected: dict[str, Any]
) -> None:
    if name == "balanced":  # start elsewhere so applying it changes something
        await run(sessions, settings.apply_profile, ROOT, "strict")
    applied = await run(sessions, settings.apply_profile, ROOT, name)
    assert {key: getattr(applied, key) for key in expected} == expected
    profiles = await run(sessions, settings.list_profiles)
    assert [p.name for p in profiles if p.active] == [name]


async def test_an_unknown_profile_is_not_found_and_only_admins_apply_profiles(
    sessions: Sessions,
) -> None:
    with pytest.raises(NotFoundError, match="strict, balanced, permissive"):
        await run(sessions, settings.apply_profile, ROOT, "lax")
    with pytest.raises(Exception, match="only an admin"):
        await run(sessions, settings.apply_profile, CLAUDE, "permissive")


async def test_bulk_decisions_apply_each_and_report_failures_per_item(
    sessions: Sessions, weather: str
) -> None:
    await pending_tool(sessions, "now")
    await run(sessions, tools.create_tool, CLAUDE, weather, "draft", CODE_V1)
    module = await run(sessions, requests.request_module, CLAUDE, weather, "yaml", "parse")
    decisions = [
        Decision(kind="module", id=module.id, action="approve"),
        Decision(kind="tool", server=weather, tool="draft", action="approve"),
        Decision(kind="tool", server=weather, tool="now", action="approve"),
        Decision(kind="network", id=404, action="reject", note="no"),
    ]
    results = await run(sessions, apply_decisions, ROOT, decisions)
    assert [(r.ok, r.status, r.error_type) for r in results] == [
        (True, "installing", None),  # approved once it imports
        (False, None, "conflict"),
        (True, ToolStatus.APPROVED, None),
        (False, None, "not_found"),
    ]
    assert "draft" in (results[1].message or "")
    now = await run(sessions, tools.get_tool, weather, "now")
    assert now.status is ToolStatus.APPROVED
    with pytest.raises(ConflictError):  # the module request was decided for good
        await run(sessions, requests.decide_request, ROOT, "module", module.id, approve=True)


def test_a_bulk_decision_must_name_its_target_and_a_rejection_its_reason() -> None:
    with pytest.raises(ValueError, match="names `server` and `tool`"):
        Decision(kind="tool", id=1, action="approve")
    with pytest.raises(ValueError, match="request `id` only"):
        Decision(kind="module", server="weather", action="approve")
    with pytest.raises(ValueError, match="needs a `note`"):
        Decision(kind="network", id=1, action="reject")
    with pytest.raises(ValueError, match="only tool approvals can be revoked"):
        Decision(kind="module", id=1, action="revoke")
