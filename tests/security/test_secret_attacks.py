"""Secret attacks: getting a secret's value out of the Box, other servers' secrets, the host's env.

Secret values never enter the Box: code gets a per-call stand-in, and only the egress broker
puts the value in, in requests to the server's allowed hosts (a real loopback server here). Each
attack below tries to get the value anyway. Redaction stays as defence in depth for the one kind
of value that does enter the Box, a secret the admin marked raw: the redaction tests use those.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.runner_setup import add_tool, tool_runner
from polybox.forge.actors import admin, llm
from polybox.forge.runner import ToolRunner
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.sandbox.egress import EgressPolicy
from polybox.sandbox.python import PythonPool, RunResult
from polybox.sandbox.redaction import REDACTED
from polybox.sandbox.standins import STANDIN_PREFIX
from sandbox.egress_servers import Server, http_server
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

SECRET = "sk-live-4f8a9c2e71"
ROOT = admin("root")
Sessions = async_sessionmaker[AsyncSession]
MARKER = "POLYBOX_TEST_POOL_SUPERVISOR_MARKER"
MARKER_VALUE = "pool-supervisor-env-5e2b"
REAL_IMPORT = "imp = print.__self__.__import__\n"


@pytest.fixture
async def pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PythonPool]:
    monkeypatch.setenv(MARKER, MARKER_VALUE)
    async with bwrap_pool(tmp_path, size=1) as started:
        yield started


@pytest.fixture
def allowed() -> Iterator[Server]:
    """A real HTTP server on loopback, on the server's allowed list (and approved as private)."""
    with http_server() as running:
        yield running


def policy_for(server: Server) -> EgressPolicy:
    return EgressPolicy(
        allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}),
        private_hosts=frozenset({"127.0.0.1"}),
        timeout=5.0,
    )


def everything(result: RunResult, server: Server | None = None) -> str:
    """All the attacker can see: the call's outcome and what the allowed host received."""
    received = "" if server is None else repr(server.recorder.requests + server.recorder.bodies)
    return repr(result) + received


async def attack(pool: PythonPool, body: str, server: Server | None = None) -> str:
    """Run `async def main(base): <body>` holding SECRET as a stand-in; all the attacker sees."""
    code = f"import base64\nasync def main(base=''):\n    {body}\n"
    base = "" if server is None else f"http://127.0.0.1:{server.port}"
    egress = EgressPolicy() if server is None else policy_for(server)
    result = await run(pool, code, {"base": base}, secrets={"API": SECRET}, egress=egress)
    assert result.ok, result.error
    return everything(result, server)


async def leak(pool: PythonPool, body: str) -> str:
    """Run `def main(): <body>` holding SECRET raw; everything the caller gets back, as text."""
    code = f"import base64\ndef main():\n    {body}\n"
    result = await run(pool, code, secrets={"API": SECRET}, raw={"API"})
    return repr(result)


async def test_printing_a_secret_shows_only_its_stand_in(pool: PythonPool) -> None:
    seen = await attack(pool, "print(secrets['API'])")
    assert SECRET not in seen
    assert STANDIN_PREFIX in seen


async def test_returning_a_secret_returns_only_its_stand_in(pool: PythonPool) -> None:
    seen = await attack(pool, "return {'key': secrets['API'], 'all': dict(secrets)}")
    assert SECRET not in seen
    assert STANDIN_PREFIX in seen


async def test_returning_a_secret_split_in_two_halves_yields_no_value(pool: PythonPool) -> None:
    half = len(SECRET) // 2
    seen = await attack(pool, "k = secrets['API']; return [k[: len(k) // 2], k[len(k) // 2 :]]")
    assert SECRET[:half] not in seen
    assert SECRET[half:] not in seen


async def test_returning_a_secret_base64_or_hex_encoded_yields_no_value(pool: PythonPool) -> None:
    seen = await attack(
        pool, "k = secrets['API'].encode(); return [base64.b64encode(k).decode(), k.hex()]"
    )
    for form in (base64.b64encode(SECRET.encode()).decode(), SECRET.encode().hex(), SECRET):
        assert form not in seen


async def test_a_secret_written_to_a_file_and_read_in_the_next_call_yields_no_value(
    pool: PythonPool, allowed: Server
) -> None:
    await attack(pool, "open('/tmp/stash', 'w').write(secrets['API'])")
    seen = await attack(
        pool,
        "try:\n"
        "        old = open('/tmp/stash').read()\n"
        "    except FileNotFoundError:\n"
        "        return 'the Box was emptied after the call'\n"
        "    assert old != secrets['API']  # a stand-in of this call no longer\n"
        "    r = await http.get(base + '/echo', params={'k': old}, headers={'X-Key': old})\n"
        "    return [old, r.text]",
        allowed,
    )
    assert SECRET not in seen


async def test_a_secret_sent_reversed_to_an_allowed_host_never_arrives_as_the_value(
    pool: PythonPool, allowed: Server
) -> None:
    seen = await attack(
        pool,
        "k = secrets['API'][::-1]\n"
        "    r = await http.post(base + '/echo?k=' + k, headers={'X-Key': k}, content=k)\n"
        "    return r.text",
        allowed,
    )
    assert allowed.recorder.requests  # the request did go out
    for form in (SECRET, SECRET[::-1]):
        assert form not in seen


async def test_an_allowed_host_receives_the_real_value_in_url_headers_and_body(
    pool: PythonPool, allowed: Server
) -> None:
    body = (
        "k = secrets['API']\n"
        "    basic = base64.b64encode(('user:' + k).encode()).decode()\n"
        "    headers = {'X-Key': 'Token ' + k, 'Authorization': 'Basic ' + basic}\n"
        "    r = await http.post(\n"
        "        base + '/echo', params={'key': k}, headers=headers, json={'k': k}\n"
        "    )\n"
        "    return r.json()"
    )
    seen = await attack(pool, body, allowed)
    ((method, path, headers),) = allowed.recorder.requests
    assert method == "POST"
    assert path == f"/echo?key={SECRET}"
    assert headers["X-Key"] == f"Token {SECRET}"
    assert (
        headers["Authorization"] == "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
    )
    assert allowed.recorder.bodies == [f'{{"k": "{SECRET}"}}'.encode()]
    # The host echoed all of it back; the Box got the stand-in in its place.
    returned_text = seen[: seen.index("duration_ms")]
    assert SECRET not in returned_text
    assert STANDIN_PREFIX in returned_text


async def test_another_servers_secret_is_not_in_a_reused_worker(pool: PythonPool) -> None:
    await run(pool, "def main():\n    return 1\n", scope="a", secrets={"K": SECRET}, raw={"K"})
    probe = REAL_IMPORT + (
        "def main(needle_reversed):\n"
        "    needle = needle_reversed[::-1]\n"
        "    os = imp('os')\n"
        "    def read(path):\n"
        "        try:\n"
        "            return open(path, 'rb').read().decode('latin-1')\n"
        "        except PermissionError:\n"
        "            return 'refused'\n"
        "    places = [read(f'/proc/{os.getppid()}/cmdline'),\n"
        "              read(f'/proc/{os.getppid()}/environ'),\n"
        "              repr(dict(secrets))]\n"
        "    return [needle in place for place in places] + places[1:2]\n"
    )
    result = await run(pool, probe, {"needle_reversed": SECRET[::-1]}, scope="b")
    assert returned(result) == [False, False, False, "refused"]  # the worker is not dumpable


async def test_raw_secret_returned_as_result_is_redacted(pool: PythonPool) -> None:
    result = await run(
        pool,
        "def main():\n    return {'k': secrets['API']}\n",
        secrets={"API": SECRET},
        raw={"API"},
    )
    assert returned(result) == {"k": REDACTED}


async def test_raw_secret_in_a_list_result_is_redacted(pool: PythonPool) -> None:
    text = await leak(pool, "return ['a', [secrets['API']], {'n': secrets['API']}]")
    assert SECRET not in text
    assert text.count(REDACTED) == 2


async def test_raw_secret_reversed_is_redacted(pool: PythonPool) -> None:
    assert SECRET[::-1] not in await leak(pool, "return secrets['API'][::-1]")


async def test_raw_secret_base64_is_redacted(pool: PythonPool) -> None:
    text = await leak(pool, "return base64.b64encode(secrets['API'].encode()).decode()")
    assert REDACTED in text


async def test_raw_secret_hex_is_redacted(pool: PythonPool) -> None:
    text = await leak(pool, "return secrets['API'].encode().hex()")
    assert SECRET.encode().hex() not in text
    assert REDACTED in text


async def test_raw_secret_printed_is_redacted(pool: PythonPool) -> None:
    result = await run(
        pool,
        "def main():\n    print('key', secrets['API'])\n",
        secrets={"API": SECRET},
        raw={"API"},
    )
    assert result.stdout == f"key {REDACTED}\n"


async def test_raw_secret_in_an_error_message_is_redacted(pool: PythonPool) -> None:
    result = await run(
        pool,
        "def main():\n    raise ValueError('bad ' + secrets['API'])\n",
        secrets={"API": SECRET},
        raw={"API"},
    )
    assert result.error is not None
    assert result.error.message == f"bad {REDACTED}"
    assert SECRET not in result.error.traceback


async def test_secret_in_the_tool_source_line_of_a_traceback_is_redacted(pool: PythonPool) -> None:
    code = f"def main():\n    token = {SECRET!r}; 1 / 0\n"
    result = await run(pool, code, secrets={"API": SECRET})
    assert result.error is not None
    assert SECRET not in result.error.traceback
    assert REDACTED in result.error.traceback


async def test_secrets_mapping_is_read_only(pool: PythonPool) -> None:
    result = await run(pool, "def main():\n    secrets['API'] = 'x'\n", secrets={"API": SECRET})
    assert result.error is not None
    assert result.error.type == "TypeError"


async def test_the_supervisor_environment_is_invisible(pool: PythonPool) -> None:
    probe = REAL_IMPORT + (
        "def main():\n"
        "    os, glob = imp('os'), imp('glob')\n"
        "    blobs, refused = [], 0\n"
        "    for path in glob.glob('/proc/[0-9]*/environ'):\n"
        "        try:\n"
        "            blobs.append(open(path, 'rb').read())\n"
        "        except PermissionError:\n"
        "            refused += 1  # not dumpable (worker, tool), or outside its Landlock domain\n"
        "    return [len(blobs) + refused, b'" + MARKER_VALUE + "' in b''.join(blobs),"
        " '" + MARKER_VALUE + "' in str(os.environ)]\n"
    )
    count, in_proc, in_env = returned(await run(pool, probe))
    assert count >= 3  # the Box's init, the worker and the tool's own process
    assert (in_proc, in_env) == (False, False)
    assert os.environ[MARKER] == MARKER_VALUE


SHOW_SECRET = "async def main() -> dict:\n    return {'key': secrets['API']}\n"


@pytest.fixture
async def runner(pool: PythonPool, sessions: Sessions, tmp_path: Path) -> AsyncIterator[ToolRunner]:
    async with tool_runner(pool, tmp_path) as started:
        yield started


async def test_unapproved_test_code_never_gets_a_raw_secret(
    runner: ToolRunner, sessions: Sessions
) -> None:
    await add_tool(sessions, SHOW_SECRET, secrets={"API": SECRET}, raw={"API"})
    async with transaction(sessions, None) as session:
        await update_settings(
            session, ROOT, redact_secrets_in_output=False, test_before_approval=True
        )
    approved = await runner.call_tool(sessions, None, llm("client"), "weather__probe", {})
    assert approved.structured == {"key": SECRET}  # raw: the admin's visible exception
    for actor in (llm("client"), ROOT):
        tested = await runner.test_code(sessions, actor, "weather", {}, code=SHOW_SECRET)
        assert tested.ok, tested.error
        assert tested.result == {"key": tested.result["key"]}
        assert str(tested.result["key"]).startswith(STANDIN_PREFIX)
