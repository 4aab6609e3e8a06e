"""Forged tool calls and test runs through a real bwrap pool, on both store backends."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.runner_setup import BOX, add_tool, tool_runner
from polybox.config import Settings
from polybox.forge.actors import Actor, admin, llm
from polybox.forge.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from polybox.forge.runner import ToolRunner
from polybox.forge.servers import set_allowed_hosts
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.sandbox.egress import PRIVATE_HOST_HOW
from polybox.sandbox.python import PythonPool
from polybox.store.enums import ExecutionStatus, ToolStatus
from polybox.store.models import ActivityLog, ExecutionLog
from sandbox.egress_servers import Server, http_server
from sandbox.python.pools import bwrap_pool

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
CLIENT = llm("claude-desktop")
REMOTE = llm("cursor", remote=True)
ROOT = admin("root")
SECRET = "tok-9f8e7d6c5b4a"

WEATHER = '''
from typing import Literal

async def main(city: str, days: int = 1, units: Literal["metric", "imperial"] = "metric") -> dict:
    """Forecast."""
    print("looking up", city)
    return {"city": city, "days": days, "units": units}
'''


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    """One worker (each costs a bwrap start per test): no test here runs two calls at once, and a
    call of another server gets a fresh worker in place of the idle one, as in a full pool."""
    async with bwrap_pool(tmp_path / "pool", size=1) as started:
        yield started


@pytest.fixture
async def runner(pool: PythonPool, sessions: Sessions, tmp_path: Path) -> AsyncIterator[ToolRunner]:
    """A runner closed (its waiting logs written) while the test's store still exists."""
    async with tool_runner(pool, tmp_path) as started:
        yield started


@pytest.fixture
def local() -> Iterator[Server]:
    with http_server() as running:
        yield running


async def change_settings(sessions: Sessions, **changes: Any) -> None:
    async with transaction(sessions, None) as session:
        await update_settings(session, ROOT, **changes)


async def logs(runner: ToolRunner, sessions: Sessions) -> list[ExecutionLog]:
    """The stored execution logs, once the runner's writer has written what it had."""
    assert await runner.logs.flush()
    async with sessions() as session:
        return list((await session.scalars(select(ExecutionLog).order_by(ExecutionLog.id))).all())


# --- calls ----------------------------------------------------------------------------------


async def test_an_approved_tool_returns_structured_content_json_text_and_a_log(
    runner: ToolRunner, sessions: Sessions
) -> None:
    added = await add_tool(sessions, WEATHER)
    outcome = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"city": "Oslo"})
    assert outcome.ok
    assert outcome.structured == {"city": "Oslo", "days": 1, "units": "metric"}
    assert outcome.text == '{"city": "Oslo", "days": 1, "units": "metric"}'
    (log,) = await logs(runner, sessions)
    assert (log.server_id, log.tool_id) == (added.server_id, added.tool_id)
    assert (log.server_name, log.tool_name, log.status) == ("weather", "probe", ExecutionStatus.OK)
    assert log.arguments == {"city": "Oslo"}
    assert log.result == outcome.structured
    assert log.stdout == "looking up Oslo\n"
    assert log.client_id == "claude-desktop"
    assert log.error is None


@pytest.mark.parametrize(
    ("returns", "structured", "text"),
    [
        ("[1, 2]", {"result": [1, 2]}, '{"result": [1, 2]}'),
        ("'héllo'", {"result": "héllo"}, '{"result": "héllo"}'),
        ("None", {"result": None}, '{"result": null}'),
    ],
)
async def test_non_object_results_are_wrapped_and_rendered_as_json_never_a_repr(
    runner: ToolRunner, sessions: Sessions, returns: str, structured: Any, text: str
) -> None:
    await add_tool(sessions, f"async def main():\n    return {returns}\n")
    outcome = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {})
    assert (outcome.structured, outcome.text) == (structured, text)


async def test_a_declared_non_object_return_is_wrapped_like_its_output_schema(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, "async def main() -> list[int]:\n    return [3]\n")
    outcome = await runner.call_tool(sessions, None, CLIENT, "weather__probe", None)
    assert outcome.structured == {"result": [3]}


async def test_wrong_arguments_are_refused_field_by_field_before_any_code_runs(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, WEATHER)
    bad = {"days": "two", "units": "kelvin", "colour": "red"}
    with pytest.raises(InvalidInputError) as caught:
        await runner.call_tool(sessions, None, CLIENT, "weather__probe", bad)
    fields = {field.field: field.message for field in caught.value.fields}
    assert set(fields) == {"city", "colour", "days", "units"}
    assert fields["city"] == "is required"
    assert fields["colour"] == "is not an argument of this tool"
    assert "'two' is not of type 'integer'" in fields["days"]
    assert "'kelvin' is not one of ['metric', 'imperial']" in fields["units"]
    assert str(caught.value).startswith("invalid arguments for weather__probe: ")
    assert "TypeError" not in str(caught.value)
    assert await logs(runner, sessions) == []


@pytest.mark.parametrize(
    ("setup", "error", "message"),
    [
        ({"status": ToolStatus.DRAFT}, ForbiddenError, "is draft, not approved"),
        ({"status": ToolStatus.PENDING_REVIEW}, ForbiddenError, "is pending review"),
        ({"enabled": False}, ForbiddenError, "is disabled by an admin"),
        ({"running": False}, UnavailableError, "server 'weather' is stopped"),
    ],
)
async def test_tools_a_client_may_not_call_are_refused_with_the_reason(
    runner: ToolRunner,
    sessions: Sessions,
    setup: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    await add_tool(sessions, WEATHER, **setup)
    with pytest.raises(error, match=message):
        await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"city": "x"})
    assert await logs(runner, sessions) == []


@pytest.mark.parametrize("name", ["weather__nope", "nope__probe", "weather", "weather__"])
async def test_unknown_tool_names_are_not_found(
    runner: ToolRunner, sessions: Sessions, name: str
) -> None:
    await add_tool(sessions, WEATHER)
    with pytest.raises(NotFoundError, match="tools/list shows the callable tools"):
        await runner.call_tool(sessions, None, CLIENT, name, {})


async def test_a_tool_error_is_one_line_with_type_message_and_line_and_is_logged(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, "async def main():\n    x = 1\n    raise ValueError('no such city')\n")
    outcome = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {})
    assert not outcome.ok
    assert outcome.structured is None
    assert outcome.error == outcome.text == "ValueError: no such city (line 3)"
    (log,) = await logs(runner, sessions)
    assert log.status is ExecutionStatus.ERROR
    assert log.error is not None
    assert (log.error["type"], log.error["line"]) == ("ValueError", 3)


async def test_a_memory_error_says_which_limit_it_hit(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(
        sessions, "async def main() -> int:\n    big = ' ' * 2**34\n    return len(big)\n"
    )
    outcome = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {})
    limit = runner.settings.call_memory_mb
    assert outcome.error == (
        f"MemoryError: the tool used more memory than a call may ({limit} MB, the "
        "call_memory_mb setting: POLYBOX_CALL_MEMORY_MB) (line 2)"
    )


async def test_a_call_over_the_time_limit_is_stopped_and_logged_as_timeout(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, "import asyncio\nasync def main():\n    await asyncio.sleep(30)\n")
    outcome = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {})
    assert outcome.error == "TimeoutError: the tool ran longer than 2 s and was stopped"
    (log,) = await logs(runner, sessions)
    assert log.status is ExecutionStatus.TIMEOUT


LEAKY = """
async def main(echo: str, fail: bool = False) -> dict:
    print("key is", secrets["API_KEY"])
    if fail:
        raise RuntimeError("bad key " + secrets["API_KEY"])
    return {"key": secrets["API_KEY"], "echo": echo}
"""


@pytest.mark.parametrize("redact", [True, False])
async def test_redact_secrets_in_output_decides_if_secrets_show_in_results_output_and_logs(
    runner: ToolRunner, sessions: Sessions, redact: bool
) -> None:
    await add_tool(sessions, LEAKY, secrets={"API_KEY": SECRET}, raw={"API_KEY"})
    await change_settings(sessions, redact_secrets_in_output=redact)
    ok = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"echo": SECRET})
    failed = await runner.call_tool(
        sessions, None, CLIENT, "weather__probe", {"echo": SECRET, "fail": True}
    )
    ok_log, failed_log = await logs(runner, sessions)
    shown = [ok.text, str(ok.structured), failed.text]
    shown += [str(ok_log.arguments), str(ok_log.result), ok_log.stdout]
    shown += [str(failed_log.arguments), failed_log.stdout, str(failed_log.error)]
    assert all((SECRET in text) is not redact for text in shown), shown


async def test_a_tool_sees_only_its_own_servers_secrets(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, "async def main():\n    return dict(secrets)\n", server="mine")
    await add_tool(sessions, WEATHER, server="other", secrets={"OTHER_KEY": SECRET})
    await change_settings(sessions, redact_secrets_in_output=False)
    outcome = await runner.call_tool(sessions, None, CLIENT, "mine__probe", {})
    assert outcome.structured == {}


FETCH = """
async def main(url: str) -> dict:
    r = await http.get(url)
    return {"status": r.status_code}
"""


async def test_an_admin_allows_a_loopback_host_for_a_server_in_one_place(
    runner: ToolRunner, sessions: Sessions, local: Server
) -> None:
    await add_tool(sessions, FETCH)
    url = f"http://127.0.0.1:{local.port}/echo"
    refused = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"url": url})
    assert refused.error is not None  # the refusal says who can allow it, and where
    assert f"is not in this server's allowed hosts; {PRIVATE_HOST_HOW}" in refused.error
    async with transaction(sessions, None) as session:
        await set_allowed_hosts(session, ROOT, "weather", [f"127.0.0.1:{local.port}"])
    outcome = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"url": url})
    assert outcome.structured == {"status": 200}


async def test_a_private_host_missing_from_private_hosts_is_refused_naming_the_fix(
    runner: ToolRunner, sessions: Sessions, local: Server
) -> None:
    await add_tool(sessions, FETCH, allowed_hosts=[f"127.0.0.1:{local.port}"])  # as stored before
    url = f"http://127.0.0.1:{local.port}/echo"
    refused = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"url": url})
    assert refused.error is not None
    assert (
        f"a loopback address; tools may only connect to public addresses unless {PRIVATE_HOST_HOW}"
        in (refused.error)
    )
    await change_settings(sessions, private_hosts=["127.0.0.1"])
    outcome = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"url": url})
    assert outcome.structured == {"status": 200}


async def test_allow_all_public_lets_tools_past_the_host_list_but_not_to_private_addresses(
    runner: ToolRunner, sessions: Sessions, local: Server
) -> None:
    await add_tool(sessions, FETCH)
    url = f"http://127.0.0.1:{local.port}/echo"
    listed_only = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"url": url})
    assert listed_only.error is not None
    assert "is not in this server's allowed hosts" in listed_only.error
    await change_settings(sessions, network_access_policy="allow_all_public")
    public = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"url": url})
    assert public.error is not None
    assert "a loopback address" in public.error  # past the list; the address rule still holds
    assert local.recorder.requests == []


async def test_a_servers_own_allowed_modules_can_be_imported(
    runner: ToolRunner, sessions: Sessions
) -> None:
    code = "import glob\nasync def main():\n    return glob.escape('a*')\n"
    await add_tool(sessions, code, server="plain")
    await add_tool(sessions, code, server="globbing", allowed_modules=["glob"])
    refused = await runner.call_tool(sessions, None, CLIENT, "plain__probe", {})
    allowed = await runner.call_tool(sessions, None, CLIENT, "globbing__probe", {})
    assert refused.error is not None
    assert "glob" in refused.error
    assert allowed.structured == {"result": "a[*]"}


async def test_a_tool_annotated_with_field_checks_its_constraints_and_runs_in_the_box(
    runner: ToolRunner, sessions: Sessions
) -> None:
    code = (
        "from typing import Annotated\n"
        "from pydantic import Field\n"
        "async def main(days: Annotated[int, Field(ge=1, le=7, description='days ahead')]):\n"
        "    return {'days': days}\n"
    )
    await add_tool(sessions, code)

    outcome = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"days": 3})
    assert outcome.structured == {"days": 3}
    with pytest.raises(InvalidInputError) as caught:
        await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"days": 9})
    [field] = caught.value.fields
    assert (field.field, field.message) == ("days", "9 is greater than the maximum of 7")


# --- reliability ----------------------------------------------------------------------------


async def test_a_worker_killed_mid_call_gives_a_clear_error_and_the_next_call_works(
    runner: ToolRunner, pool: PythonPool, sessions: Sessions
) -> None:
    await add_tool(
        sessions,
        "import time\n"
        "async def main(wait: bool):\n    time.sleep(30 if wait else 0)\n    return {}\n",
    )
    call = asyncio.create_task(
        runner.call_tool(sessions, None, CLIENT, "weather__probe", {"wait": True})
    )
    async with asyncio.timeout(10):
        while not pool._busy:
            await pool.changed()
    (worker,) = pool._busy
    os.kill(worker.process.pid, signal.SIGKILL)
    outcome = await call
    assert outcome.error is not None
    assert outcome.error.startswith("SandboxError: the sandbox worker running this call stopped")
    after = await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"wait": False})
    assert after.ok
    assert [log.status for log in await logs(runner, sessions)] == [
        ExecutionStatus.ERROR,
        ExecutionStatus.OK,
    ]


async def test_a_busy_pool_is_unavailable_with_a_message(
    sessions: Sessions, tmp_path: Path
) -> None:
    await add_tool(
        sessions, "import time\nasync def main(s: float):\n    time.sleep(s)\n    return {}\n"
    )
    settings = Settings(data_dir=tmp_path, sandbox="bwrap")
    async with bwrap_pool(tmp_path / "pool", size=1, queue_timeout=0.3) as pool:
        runner = ToolRunner(pool, BOX, settings)
        slow = asyncio.create_task(
            runner.call_tool(sessions, None, CLIENT, "weather__probe", {"s": 2})
        )
        async with asyncio.timeout(10):
            while not pool._busy:
                await pool.changed()
        with pytest.raises(UnavailableError, match=r"the sandbox is busy \(all 1 Python workers"):
            await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"s": 0})
        assert (await slow).ok
        await runner.close()


async def test_without_a_sandbox_backend_calls_explain_how_to_get_one(
    sessions: Sessions, tmp_path: Path
) -> None:
    await add_tool(sessions, WEATHER)
    runner = ToolRunner(
        None, BOX, Settings(data_dir=tmp_path), sandbox_problem="bubblewrap is not installed"
    )
    with pytest.raises(UnavailableError) as caught:
        await runner.call_tool(sessions, None, CLIENT, "weather__probe", {"city": "x"})
    message = str(caught.value)
    assert "bubblewrap is not installed" in message
    assert "POLYBOX_SANDBOX" in message
    assert "polybox doctor" in message
    with pytest.raises(UnavailableError, match="POLYBOX_SANDBOX"):
        await runner.test_code(sessions, ROOT, "weather", {}, code=WEATHER)


# --- test_code ------------------------------------------------------------------------------

UNSAVED = '''
async def main(n: int) -> int:
    """Doubles."""
    print("doubling", n)
    if n < 0:
        raise ValueError("negative")
    return n * 2
'''


async def test_a_remote_client_cannot_test_unapproved_code_while_tools_need_approval(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, WEATHER, status=ToolStatus.DRAFT)
    with pytest.raises(ForbiddenError, match="the test_before_approval setting"):
        await runner.test_code(sessions, REMOTE, "weather", {"n": 1}, code=UNSAVED)
    with pytest.raises(ForbiddenError, match="polybox_request_publish"):
        await runner.test_code(sessions, REMOTE, "weather", {"city": "x"}, tool="probe")


async def test_a_local_client_cannot_test_unapproved_code_when_the_admin_turned_it_off(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, WEATHER, status=ToolStatus.DRAFT)
    await change_settings(sessions, local_test_before_approval=False)
    with pytest.raises(ForbiddenError, match="the local_test_before_approval setting"):
        await runner.test_code(sessions, CLIENT, "weather", {"n": 1}, code=UNSAVED)


@pytest.mark.parametrize(
    ("caller", "setting"),
    [
        pytest.param(CLIENT, {}, id="local-by-default"),
        pytest.param(REMOTE, {"test_before_approval": True}, id="remote-when-allowed"),
        pytest.param(REMOTE, {"tool_approval_mode": "auto_approve"}, id="remote-auto-approve"),
    ],
)
async def test_unapproved_code_runs_when_the_policy_allows_it(
    runner: ToolRunner, sessions: Sessions, caller: Actor, setting: dict[str, Any]
) -> None:
    await add_tool(sessions, WEATHER, status=ToolStatus.DRAFT)
    await change_settings(sessions, **setting)
    tested = await runner.test_code(sessions, caller, "weather", {"n": 21}, code=UNSAVED)
    assert (tested.ok, tested.result, tested.stdout) == (True, 42, "doubling 21\n")
    assert tested.duration_ms > 0
    saved = await runner.test_code(sessions, caller, "weather", {"city": "Rome"}, tool="probe")
    assert saved.result == {"city": "Rome", "days": 1, "units": "metric"}


async def test_approved_tools_and_admins_may_always_test(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, WEATHER)
    saved = await runner.test_code(sessions, CLIENT, "weather", {"city": "Rome"}, tool="probe")
    assert saved.ok
    by_admin = await runner.test_code(sessions, ROOT, "weather", {"n": 2}, code=UNSAVED)
    assert by_admin.result == 4


async def test_a_failing_test_run_returns_the_error_detail_and_is_audited_not_logged(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, WEATHER)
    tested = await runner.test_code(sessions, ROOT, "weather", {"n": -1}, code=UNSAVED)
    assert not tested.ok
    assert tested.error is not None
    assert (tested.error.type, tested.error.message, tested.error.line) == (
        "ValueError",
        "negative",
        6,
    )
    assert "line 6, in main" in tested.error.traceback
    assert tested.stdout == "doubling -1\n"
    assert await logs(runner, sessions) == []
    async with sessions() as session:
        audit = await session.scalar(select(ActivityLog).where(ActivityLog.action == "code.tested"))
    assert audit is not None
    assert (audit.actor_name, audit.details["status"]) == ("root", "error")


async def test_test_runs_refuse_bad_code_and_bad_arguments_before_running(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, WEATHER)
    with pytest.raises(InvalidInputError, match="the code cannot run: code: line 1"):
        await runner.test_code(sessions, ROOT, "weather", {}, code="def main(:\n")
    with pytest.raises(InvalidInputError, match="n: 'x' is not of type 'integer'"):
        await runner.test_code(sessions, ROOT, "weather", {"n": "x"}, code=UNSAVED)
    with pytest.raises(InvalidInputError, match="not both"):
        await runner.test_code(sessions, ROOT, "weather", {}, code=UNSAVED, tool="probe")
    with pytest.raises(NotFoundError, match="no server 'nowhere'"):
        await runner.test_code(sessions, ROOT, "nowhere", {}, code=UNSAVED)


@pytest.mark.parametrize("redact", [True, False])
async def test_test_runs_redact_secrets_per_the_setting(
    runner: ToolRunner, sessions: Sessions, redact: bool
) -> None:
    await add_tool(sessions, LEAKY, secrets={"API_KEY": SECRET}, raw={"API_KEY"})
    await change_settings(sessions, redact_secrets_in_output=redact)
    tested = await runner.test_code(sessions, ROOT, "weather", {"echo": "e"}, tool="probe")
    failed = await runner.test_code(
        sessions, ROOT, "weather", {"echo": "e", "fail": True}, tool="probe"
    )
    assert failed.error is not None
    shown = [str(tested.result), tested.stdout, failed.error.message]
    assert all((SECRET in text) is not redact for text in shown), shown
