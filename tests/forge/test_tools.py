"""Tools: saving code as versions, the approval state machine, rollback, diffs and events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.conftest import RecordingBus
from polybox.events import EventKind
from polybox.forge import approvals, tools, versions
from polybox.forge.actors import admin, llm
from polybox.forge.allowlists import PRIVATE_HOST_HELP
from polybox.forge.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from polybox.forge.names import MAX_CODE_BYTES
from polybox.forge.schemas import ToolOut
from polybox.forge.servers import create_server
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.store.enums import Requester, ToolStatus, VersionAuthor
from polybox.store.models import ActivityLog, ModuleRequest, Tool, ToolVersion

Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")
pytestmark = pytest.mark.anyio
ROOT = admin("root")
CLAUDE = llm("claude")
CODE_V1 = 'async def main(city: str) -> dict:\n    """Weather for a city."""\n    return {}\n'
CODE_V2 = (
    'async def main(city: str, days: int = 1) -> dict:\n    """Forecast for a city."""\n'
    "    return {}\n"
)


async def run(
    sessions: Sessions,
    events: RecordingBus | None,
    call: Callable[..., Awaitable[T]],
    *args: Any,
    **kwargs: Any,
) -> T:
    """One service call in its own transaction, as the surfaces make it."""
    async with transaction(sessions, events) as session:
        return await call(session, *args, **kwargs)


@pytest.fixture
async def server(sessions: Sessions) -> str:
    await run(sessions, None, create_server, CLAUDE, "weather", "Forecasts")
    return "weather"


async def make_tool(sessions: Sessions, code: str = CODE_V1, name: str = "now") -> ToolOut:
    return await run(sessions, None, tools.create_tool, CLAUDE, "weather", name, code)


async def approved_tool(sessions: Sessions) -> ToolOut:
    await make_tool(sessions)
    await run(sessions, None, approvals.request_publish, CLAUDE, "weather", "now")
    return await run(sessions, None, approvals.approve_tool, ROOT, "weather", "now")


async def version_count(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ToolVersion)) or 0)


async def test_a_new_tool_is_a_draft_at_version_1_with_schemas_from_its_code(
    sessions: Sessions, events: RecordingBus, server: str
) -> None:
    created = await run(sessions, events, tools.create_tool, CLAUDE, server, "now", CODE_V1)
    assert created.status is ToolStatus.DRAFT
    assert (created.current_version, created.approved_version) == (1, None)
    assert created.public_name == "weather__now"
    assert created.description == "Weather for a city."
    assert created.input_schema["required"] == ["city"]
    assert created.output_schema == {"type": "object", "additionalProperties": True}
    assert created.code == CODE_V1
    assert created.analysis is not None
    assert created.analysis.ok
    assert events.kinds() == [EventKind.TOOL_ADDED]
    assert events.published[0].data["tool"] == "now"
    async with sessions() as session:
        version = (await session.scalars(select(ToolVersion))).one()
        row = (await session.scalars(select(Tool))).one()
    assert (version.number, version.author) == (1, VersionAuthor.LLM)
    assert version.input_schema == row.input_schema == created.input_schema


async def test_a_given_description_wins_over_the_docstring(sessions: Sessions, server: str) -> None:
    created = await run(
        sessions, None, tools.create_tool, CLAUDE, server, "now", CODE_V1, description="Mine"
    )
    assert created.description == "Mine"


async def test_every_bad_field_is_reported_at_once_and_nothing_is_stored(
    sessions: Sessions, server: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await run(
            sessions, None, tools.create_tool, CLAUDE, server, "Bad-Name", "def main(:\n",
            description="x" * 2001,
        )  # fmt: skip
    assert [field.field for field in caught.value.fields] == ["name", "description", "code"]
    assert "syntax error" in caught.value.fields[2].message
    assert await version_count(sessions) == 0


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("def main():\n    pass\n", "must be a coroutine", id="sync-main"),
        pytest.param("async def run():\n    pass\n", "no `async def main", id="no-main"),
        pytest.param("x" * (MAX_CODE_BYTES + 1), "the limit is 100000", id="oversize"),
    ],
)
async def test_code_that_cannot_run_is_never_saved(
    sessions: Sessions, server: str, code: str, expected: str
) -> None:
    with pytest.raises(InvalidInputError, match=expected):
        await make_tool(sessions, code)
    assert await version_count(sessions) == 0


async def test_a_taken_name_is_a_conflict(sessions: Sessions, server: str) -> None:
    await make_tool(sessions)
    with pytest.raises(ConflictError, match="already has a tool named 'now'"):
        await make_tool(sessions)


async def test_the_full_review_path_ends_with_the_current_version_approved(
    sessions: Sessions, events: RecordingBus, server: str
) -> None:
    await make_tool(sessions)
    pending = await run(sessions, events, approvals.request_publish, CLAUDE, server, "now")
    assert pending.status is ToolStatus.PENDING_REVIEW
    approved = await run(sessions, events, approvals.approve_tool, ROOT, server, "now", "fine")
    assert (approved.status, approved.approved_version, approved.review_note) == (
        ToolStatus.APPROVED,
        1,
        "fine",
    )
    assert events.kinds() == [EventKind.APPROVAL_CHANGED, EventKind.APPROVAL_CHANGED]
    assert events.published[1].data["status"] == "approved"


@pytest.mark.parametrize("decision", ["approve_tool", "reject_tool", "revoke_tool"])
async def test_an_llm_can_never_decide_a_review(
    sessions: Sessions, server: str, decision: str
) -> None:
    await make_tool(sessions)
    await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")
    with pytest.raises(ForbiddenError, match="only an admin can"):
        await run(sessions, None, getattr(approvals, decision), CLAUDE, server, "now", "note")
    status = await run(sessions, None, approvals.get_tool_status, server, "now")
    assert status.status is ToolStatus.PENDING_REVIEW


async def test_only_tools_pending_review_can_be_approved(sessions: Sessions, server: str) -> None:
    await make_tool(sessions)
    with pytest.raises(ConflictError, match="is draft; only tools pending review"):
        await run(sessions, None, approvals.approve_tool, ROOT, server, "now")


async def test_a_rejected_tool_keeps_the_note_and_can_be_submitted_again(
    sessions: Sessions, server: str
) -> None:
    await make_tool(sessions)
    await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")
    rejected = await run(sessions, None, approvals.reject_tool, ROOT, server, "now", "add units")
    assert (rejected.status, rejected.review_note) == (ToolStatus.REJECTED, "add units")
    again = await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")
    assert again.status is ToolStatus.PENDING_REVIEW


async def test_revoking_sends_an_approved_tool_back_to_review(
    sessions: Sessions, server: str
) -> None:
    await approved_tool(sessions)
    revoked = await run(sessions, None, approvals.revoke_tool, ROOT, server, "now", "leaks data")
    assert (revoked.status, revoked.approved_version) == (ToolStatus.PENDING_REVIEW, None)
    with pytest.raises(ConflictError, match="only approved tools can be revoked"):
        await run(sessions, None, approvals.revoke_tool, ROOT, server, "now")


async def test_publishing_an_approved_tool_is_a_conflict(sessions: Sessions, server: str) -> None:
    await approved_tool(sessions)
    with pytest.raises(ConflictError, match="already approved"):
        await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"code": CODE_V2}, id="code"),
        pytest.param({"description": "Another text"}, id="description"),
        pytest.param({"name": "today"}, id="name"),
    ],
)
async def test_a_client_visible_change_resets_approval_to_draft(
    sessions: Sessions, events: RecordingBus, server: str, change: dict[str, str]
) -> None:
    await approved_tool(sessions)
    updated = await run(sessions, events, tools.update_tool, CLAUDE, server, "now", **change)
    assert (updated.status, updated.approved_version) == (ToolStatus.DRAFT, None)
    assert events.kinds() == [EventKind.TOOL_CHANGED, EventKind.APPROVAL_CHANGED]


async def test_new_code_is_a_new_version_with_its_new_input_schema(
    sessions: Sessions, server: str
) -> None:
    await make_tool(sessions)
    updated = await run(sessions, None, tools.update_tool, ROOT, server, "now", code=CODE_V2)
    assert updated.current_version == 2
    assert list(updated.input_schema["properties"]) == ["city", "days"]
    assert updated.description == "Forecast for a city."  # followed the docstring
    history = await run(sessions, None, versions.list_tool_versions, server, "now")
    assert [(v.number, v.author, v.is_current) for v in history.items] == [
        (2, VersionAuthor.ADMIN, True),
        (1, VersionAuthor.LLM, False),
    ]


async def test_a_description_that_was_set_by_hand_survives_a_code_change(
    sessions: Sessions, server: str
) -> None:
    await run(sessions, None, tools.create_tool, CLAUDE, server, "now", CODE_V1, description="X")
    updated = await run(sessions, None, tools.update_tool, CLAUDE, server, "now", code=CODE_V2)
    assert updated.description == "X"


async def test_identical_code_is_not_a_new_version_and_keeps_the_approval(
    sessions: Sessions, events: RecordingBus, server: str
) -> None:
    await approved_tool(sessions)
    same = await run(sessions, events, tools.update_tool, CLAUDE, server, "now", code=CODE_V1)
    assert (same.status, same.current_version) == (ToolStatus.APPROVED, 1)
    assert events.kinds() == []
    assert await version_count(sessions) == 1


async def test_versions_are_numbered_per_tool(sessions: Sessions, server: str) -> None:
    await make_tool(sessions, name="first")
    await run(sessions, None, tools.update_tool, CLAUDE, server, "first", code=CODE_V2)
    second = await make_tool(sessions, name="second")
    assert second.current_version == 1


async def test_a_version_shows_its_code_and_a_diff_against_the_current_code(
    sessions: Sessions, server: str
) -> None:
    await make_tool(sessions)
    await run(sessions, None, tools.update_tool, CLAUDE, server, "now", code=CODE_V2)
    old = await run(sessions, None, versions.get_tool_version, server, "now", 1)
    assert old.code == CODE_V1
    assert (old.is_current, old.is_approved) == (False, False)
    assert old.diff_against_current.startswith("--- version 1\n+++ version 2 (current)\n")
    assert "-async def main(city: str) -> dict:\n" in old.diff_against_current
    assert "+async def main(city: str, days: int = 1) -> dict:\n" in old.diff_against_current
    current = await run(sessions, None, versions.get_tool_version, server, "now", 2)
    assert current.diff_against_current == ""
    with pytest.raises(NotFoundError, match="has no version 9"):
        await run(sessions, None, versions.get_tool_version, server, "now", 9)


async def test_rollback_is_a_new_version_by_rollback_and_resets_approval(
    sessions: Sessions, events: RecordingBus, server: str
) -> None:
    await make_tool(sessions)
    await run(sessions, None, tools.update_tool, CLAUDE, server, "now", code=CODE_V2)
    await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")
    await run(sessions, None, approvals.approve_tool, ROOT, server, "now")
    rolled = await run(sessions, events, versions.rollback_tool, CLAUDE, server, "now", 1)
    assert (rolled.current_version, rolled.status, rolled.code) == (3, ToolStatus.DRAFT, CODE_V1)
    assert rolled.description == "Weather for a city."
    assert list(rolled.input_schema["properties"]) == ["city"]
    version = await run(sessions, None, versions.get_tool_version, server, "now", 3)
    assert version.author is VersionAuthor.ROLLBACK
    assert events.kinds() == [EventKind.TOOL_CHANGED, EventKind.APPROVAL_CHANGED]
    with pytest.raises(ConflictError, match="nothing to roll back"):
        await run(sessions, None, versions.rollback_tool, CLAUDE, server, "now", 1)


async def test_an_admins_rollback_goes_straight_to_review_with_the_admin_as_requester(
    sessions: Sessions, server: str
) -> None:
    await approved_tool(sessions)
    await run(sessions, None, tools.update_tool, CLAUDE, server, "now", code=CODE_V2)
    await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")
    await run(sessions, None, approvals.approve_tool, ROOT, server, "now")
    rolled = await run(sessions, None, versions.rollback_tool, ROOT, server, "now", 1)
    assert (rolled.status, rolled.approved_version) == (ToolStatus.PENDING_REVIEW, None)
    async with sessions() as session:
        last = await session.scalar(select(ActivityLog).order_by(ActivityLog.id.desc()).limit(1))
    assert last is not None
    assert (last.action, last.actor_name) == ("tool.review_requested", "root")
    approved = await run(sessions, None, approvals.approve_tool, ROOT, server, "now")
    assert (approved.status, approved.approved_version, approved.code) == (
        ToolStatus.APPROVED,
        3,
        CODE_V1,
    )


async def test_disallowed_imports_are_saved_in_a_draft_but_block_publishing_until_requested(
    sessions: Sessions, server: str
) -> None:
    code = "import yaml\nasync def main() -> dict:\n    return {}\n"
    created = await make_tool(sessions, code)
    assert created.analysis is not None
    assert created.analysis.disallowed_imports == ["yaml"]
    with pytest.raises(ConflictError, match="module 'yaml' is not allowed; ask for it with"):
        await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")
    async with transaction(sessions, None) as session:
        session.add(ModuleRequest(module="yaml", server_id=None, requested_by=Requester.LLM))
    published = await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")
    assert published.status is ToolStatus.PENDING_REVIEW


async def test_hosts_off_the_allow_list_block_publishing(sessions: Sessions, server: str) -> None:
    code = "async def main() -> dict:\n    await http.get('https://api.example.com/')\n"
    await make_tool(sessions, code)
    with pytest.raises(ConflictError, match=r"host 'api\.example\.com' is not allowed"):
        await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")
    status = await run(sessions, None, approvals.get_tool_status, server, "now")
    assert status.disallowed_hosts == ["api.example.com"]


async def test_a_loopback_host_blocks_publishing_naming_the_admin_not_a_request(
    sessions: Sessions, server: str
) -> None:
    code = "async def main() -> dict:\n    await http.get('http://127.0.0.1:8080/')\n"
    await make_tool(sessions, code)
    with pytest.raises(ConflictError) as refused:
        await run(sessions, None, approvals.request_publish, CLAUDE, server, "now")
    assert f"host '127.0.0.1:8080' is not allowed; {PRIVATE_HOST_HELP}" in str(refused.value)
    assert "polybox_request_network_access" not in str(refused.value)  # it refuses loopback


async def test_auto_approve_mode_approves_on_create_update_rollback_and_publish(
    sessions: Sessions, server: str
) -> None:
    await run(sessions, None, update_settings, ROOT, tool_approval_mode="auto_approve")
    created = await make_tool(sessions)
    assert (created.status, created.approved_version) == (ToolStatus.APPROVED, 1)
    updated = await run(sessions, None, tools.update_tool, CLAUDE, server, "now", code=CODE_V2)
    assert (updated.status, updated.approved_version) == (ToolStatus.APPROVED, 2)
    rolled = await run(sessions, None, versions.rollback_tool, CLAUDE, server, "now", 1)
    assert (rolled.status, rolled.approved_version) == (ToolStatus.APPROVED, 3)
    blocked = await make_tool(sessions, "import yaml\n" + CODE_V1, name="needs_yaml")
    assert blocked.status is ToolStatus.DRAFT  # an unrequested module holds it back
    async with transaction(sessions, None) as session:
        session.add(ModuleRequest(module="yaml", server_id=None, requested_by=Requester.LLM))
    published = await run(sessions, None, approvals.request_publish, CLAUDE, server, "needs_yaml")
    assert published.status is ToolStatus.APPROVED
    async with sessions() as session:
        actors = set(
            await session.scalars(
                select(ActivityLog.actor_name).where(ActivityLog.action == "tool.auto_approved")
            )
        )
    assert actors == {"system"}


async def test_only_an_admin_enables_or_disables_a_tool(
    sessions: Sessions, events: RecordingBus, server: str
) -> None:
    await approved_tool(sessions)
    with pytest.raises(ForbiddenError):
        await run(sessions, None, approvals.set_tool_enabled, CLAUDE, server, "now", False)
    disabled = await run(sessions, events, approvals.set_tool_enabled, ROOT, server, "now", False)
    assert (disabled.enabled, disabled.status) == (False, ToolStatus.APPROVED)
    assert events.kinds() == [EventKind.TOOL_CHANGED]


async def test_status_lists_every_reason_a_tool_is_not_callable(
    sessions: Sessions, server: str
) -> None:
    await make_tool(sessions)
    status = await run(sessions, None, approvals.get_tool_status, server, "now")
    assert not status.callable
    assert status.blockers == ["the tool is draft, not approved", "server 'weather' is stopped"]


async def test_a_deleted_tool_is_gone_and_announced(
    sessions: Sessions, events: RecordingBus, server: str
) -> None:
    created = await make_tool(sessions)
    await run(sessions, events, tools.delete_tool, CLAUDE, server, "now")
    assert events.kinds() == [EventKind.TOOL_REMOVED]
    assert events.published[0].data["tool_id"] == created.id
    assert await version_count(sessions) == 0
    with pytest.raises(NotFoundError, match="polybox_list_tools"):
        await run(sessions, None, tools.get_tool, server, "now")


async def test_the_list_is_paged_and_filtered_by_status(sessions: Sessions, server: str) -> None:
    for name in ("b", "a", "c"):
        await make_tool(sessions, name=name)
    await run(sessions, None, approvals.request_publish, CLAUDE, server, "c")
    page = await run(sessions, None, tools.list_tools, server, page=1, page_size=2)
    assert ([item.name for item in page.items], page.total, page.pages) == (["a", "b"], 3, 2)
    assert page.items[0].code is None
    pending = await run(sessions, None, tools.list_tools, server, status=ToolStatus.PENDING_REVIEW)
    assert [item.name for item in pending.items] == ["c"]
