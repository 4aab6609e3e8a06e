"""Language-level escapes from tool code: they may work as Python, and the Box still contains them.

Each test runs tool code through the pool in real bwrap Boxes and asserts what the attacker gets.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.python import PythonPool
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

REAL_IMPORT = "imp = print.__self__.__import__  # the builtins module's own __import__\n"
OTHER_SECRET = "alpha-server-secret-9d1f"


def passwd_digest() -> str:
    return hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1) as started:
        yield started


async def test_frame_walking_to_the_worker_globals_finds_no_other_servers_secret(
    pool: PythonPool,
) -> None:
    leaky = "def main():\n    return secrets['K']\n"
    await run(pool, leaky, scope="a", secrets={"K": OTHER_SECRET}, raw={"K"})
    code = """
def main():
    try:
        raise RuntimeError
    except RuntimeError as exc:
        frame = exc.__traceback__.tb_frame
    seen = []
    while frame is not None:
        seen.append(repr(frame.f_locals)[:100000])
        seen.append(repr(list(frame.f_globals))[:100000])
        frame = frame.f_back
    return {"frames": len(seen) // 2, "dump": "".join(seen)}
"""
    result = await run(pool, code, scope="b", secrets={"MINE": "beta-own-secret-77"})
    assert result.ok
    assert returned(result)["frames"] >= 2  # the walk reached the runtime's own frames
    assert OTHER_SECRET not in str(result.result)
    assert "beta-own-secret-77" not in str(result.result)  # its own is only a stand-in


async def test_subclasses_walk_reaches_os_but_only_sees_the_box(
    pool: PythonPool, tmp_path: Path
) -> None:
    host_file = tmp_path / "host-only.txt"
    host_file.write_text("host data")
    code = f"""
def main():
    wrap = [c for c in ().__class__.__mro__[1].__subclasses__() if c.__name__ == "_wrap_close"][0]
    os = wrap.__init__.__globals__["sys"].modules["os"]
    return {{"uid": os.getuid(), "host_file": os.path.exists({str(host_file)!r}),
            "root": os.path.exists("/root"), "cwd": os.getcwd()}}
"""
    result = await run(pool, code)
    box_view = returned(result)
    assert box_view == {
        "uid": box_view["uid"],
        "host_file": False,
        "root": False,
        "cwd": "/workspace",
    }
    assert returned(result)["uid"] != 0


async def test_func_globals_reach_the_real_import_but_os_system_cannot_touch_the_host(
    pool: PythonPool, tmp_path: Path
) -> None:
    target = tmp_path / "pwned"
    code = f"""
def main():
    os = main.__globals__["__builtins__"]["print"].__self__.__import__("os")
    status = os.system("touch {target} 2>/dev/null")
    return {{"status": status, "exists": os.path.exists({str(target)!r})}}
"""
    result = await run(pool, code)
    assert result.ok
    assert returned(result)["exists"] is False
    assert not target.exists()


async def test_gc_get_objects_in_a_second_scope_finds_no_first_scope_secret(
    pool: PythonPool,
) -> None:
    await run(
        pool, "def main():\n    return 1\n", scope="a", secrets={"K": OTHER_SECRET}, raw={"K"}
    )
    code = (
        REAL_IMPORT
        + """
def main(reversed_needles):
    gc = imp("gc")
    found = []
    for reversed_needle in reversed_needles:
        needle = reversed_needle[::-1]  # never present as a literal anywhere
        containers = [o for o in gc.get_objects() if isinstance(o, (dict, list, tuple))]
        found.append(any(needle in repr(o) for o in containers))
    return found
"""
    )
    own = "beta-own-secret-77"
    needles = [OTHER_SECRET[::-1], own[::-1]]
    result = await run(
        pool, code, {"reversed_needles": needles}, scope="b", secrets={"O": own}, raw={"O"}
    )
    assert result.ok
    assert returned(result) == [False, True]  # blind to the other server, yet the scan works


async def test_gc_get_referrers_of_the_secrets_view_yields_only_this_call(pool: PythonPool) -> None:
    code = (
        REAL_IMPORT
        + """
def main():
    gc = imp("gc")
    refs = gc.get_referrers(secrets)
    return sorted({type(r).__name__ for r in refs})
"""
    )
    result = await run(pool, code, secrets={"K": "gamma-secret-value"})
    assert result.ok
    assert "gamma-secret-value" not in str(result)


async def test_ctypes_by_trickery_cannot_write_the_host(pool: PythonPool) -> None:
    before = passwd_digest()
    code = (
        REAL_IMPORT
        + """
def main():
    ctypes = imp("ctypes")
    libc = ctypes.CDLL(None)
    fd = libc.open(b"/etc/passwd", 1)  # O_WRONLY
    return {"uid": libc.getuid(), "fd": fd}
"""
    )
    result = await run(pool, code)
    if result.ok:
        assert returned(result)["fd"] == -1
        assert returned(result)["uid"] != 0
    assert passwd_digest() == before


async def test_subprocess_by_trickery_runs_as_the_unprivileged_box_user(pool: PythonPool) -> None:
    code = (
        REAL_IMPORT
        + """
def main():
    subprocess = imp("subprocess")
    out = subprocess.run(["/usr/bin/id", "-u"], capture_output=True, text=True)
    hostname = subprocess.run(["/bin/hostname"], capture_output=True, text=True)
    return [out.stdout.strip(), hostname.stdout.strip()]
"""
    )
    result = await run(pool, code)
    assert result.ok
    uid, hostname = returned(result)
    assert uid != "0"
    assert hostname == "box"


async def test_writing_fake_frames_to_stdout_cannot_forge_the_result(pool: PythonPool) -> None:
    code = (
        REAL_IMPORT
        + """
def main():
    os = imp("os")
    fake = b'{"op":"done","id":1,"ok":true,"result_json":"\\\\"forged\\\\""}'
    os.write(1, len(fake).to_bytes(4, "big") + fake)
    return "genuine"
"""
    )
    result = await run(pool, code)
    assert result.result == "genuine"
    assert (await run(pool, "def main():\n    return 'next'\n")).result == "next"
