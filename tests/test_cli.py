"""The `polybox` command as an operator meets it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import io
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from polybox import __version__
from polybox.cli import main
from polybox.instance import Instance
from polybox.sandbox.docker import instance_id
from polybox.sandbox.dockerimages import render_dockerfile, step_count
from sandbox.docker_engine import served_engine

EXIT_USAGE = 2


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", user: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m polybox ARGS` with a clean POLYBOX_* environment, optionally as `user`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("POLYBOX_")}
    command = [sys.executable, "-m", "polybox", *args]
    if user is not None:
        setpriv = shutil.which("setpriv")
        assert setpriv is not None
        account = pwd.getpwnam(user)
        ids = [f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]
        command = [setpriv, *ids, *command]
    return subprocess.run(
        command,
        env={**base, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("polybox: ")
    for needle in needles:
        assert needle in lines[0]


def test_version_prints_the_package_version() -> None:
    result = run_cli("version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"polybox {__version__}"


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("POLYBOX_PORT", "not-a-port", "POLYBOX_PORT"),
        ("POLYBOX_LOG_LEVEL", "loud", "POLYBOX_LOG_LEVEL"),
        ("POLYBOX_DATABASE_URL", "oracle://db/x", "POLYBOX_DATABASE_URL"),
    ],
)
def test_invalid_setting_is_one_line_and_exit_2(
    tmp_path: Path, variable: str, value: str, needle: str
) -> None:
    result = run_cli("db", "upgrade", env={"POLYBOX_DATA_DIR": str(tmp_path), variable: value})
    assert_one_line_error(result, needle)


def test_unreadable_data_dir_is_one_line_and_exit_2(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to run the CLI as another user against a root-owned dir")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    result = run_cli(
        "db", "upgrade", env={"POLYBOX_DATA_DIR": str(private / "data")}, user="nobody"
    )
    assert_one_line_error(result, "POLYBOX_DATA_DIR")


def test_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://polybox:s3cret-pw@127.0.0.1:1/polybox"
    result = run_cli(
        "db", "upgrade", env={"POLYBOX_DATA_DIR": str(tmp_path), "POLYBOX_DATABASE_URL": url}
    )
    assert_one_line_error(result, "127.0.0.1:1")
    assert "s3cret-pw" not in result.stderr


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", env={"POLYBOX_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("database at revision ")
    assert (tmp_path / "polybox.db").is_file()


def test_admin_create_then_duplicate_is_refused(tmp_path: Path) -> None:
    env = {"POLYBOX_DATA_DIR": str(tmp_path)}
    created = run_cli(
        "admin", "create", "--username", "alice", env=env, stdin="correct horse battery\n"
    )
    assert created.returncode == 0, created.stderr
    assert "admin 'alice' created" in created.stdout
    again = run_cli(
        "admin", "create", "--username", "alice", env=env, stdin="correct horse battery\n"
    )
    assert_one_line_error(again, "already exists")


def test_admin_create_opens_no_sandbox_and_starts_no_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, to see the instance the command builds: it only touches the store."""
    for name in [name for name in os.environ if name.startswith("POLYBOX_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("POLYBOX_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    closed: list[Instance] = []
    close = Instance.close

    async def recording_close(self: Instance) -> None:
        closed.append(self)
        await close(self)

    monkeypatch.setattr(Instance, "close", recording_close)

    assert main(["admin", "create", "--username", "alice"]) == 0

    [instance] = closed
    assert instance.runner.pool is None
    assert instance.backend is None
    assert "does not run tools" in (instance.sandbox.problem or "")


@pytest.mark.parametrize(
    ("username", "password", "needle"),
    [
        ("alice", "short", "at least 12 characters"),
        ("Alice!", "correct horse battery", "username 'Alice!' is invalid"),
        ("alice", "", "no password given"),
    ],
)
def test_admin_create_refuses_bad_input(
    tmp_path: Path, username: str, password: str, needle: str
) -> None:
    env = {"POLYBOX_DATA_DIR": str(tmp_path)}
    result = run_cli("admin", "create", "--username", username, env=env, stdin=password)
    assert_one_line_error(result, needle)


def test_admin_create_reads_a_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("correct horse battery\n")
    env = {"POLYBOX_DATA_DIR": str(tmp_path / "data")}
    result = run_cli(
        "admin", "create", "--username", "bob", "--password-file", str(secret), env=env
    )
    assert result.returncode == 0, result.stderr
    missing = run_cli(
        "admin", "create", "--username", "carol", "--password-file", str(tmp_path / "x"), env=env
    )
    assert_one_line_error(missing, "--password-file: cannot read")


def test_doctor_prints_one_line_per_capability(tmp_path: Path) -> None:
    result = run_cli("doctor", env={"POLYBOX_DATA_DIR": str(tmp_path)})
    lines = result.stdout.splitlines()
    names = [line.split()[1] for line in lines]
    assert names[:3] == ["python", "data", "database"]
    assert {"bubblewrap", "seccomp", "cgroups", "landlock", "docker", "sandbox"} <= set(names)
    for line in lines:
        assert line.startswith(("ok ", "warning ", "missing "))
        if line.startswith("missing"):
            assert "(fix: " in line
    sandbox_ok = lines[-1].startswith("ok")
    assert result.returncode == (0 if sandbox_ok else 1)


def test_doctor_names_the_fix_for_each_dotnet_version_not_prepared(tmp_path: Path) -> None:
    env = {"POLYBOX_DATA_DIR": str(tmp_path), "POLYBOX_DOTNET_VERSIONS": '["8", "10"]'}
    lines = run_cli("doctor", env=env).stdout.splitlines()
    dotnet = {line.split()[2]: line for line in lines if line.split()[1] == "dotnet"}
    if shutil.which("dotnet") is None:
        assert "no `dotnet` on PATH" in dotnet["sdk"]
        return
    assert dotnet["8"].startswith("missing")
    assert "not prepared  (fix: polybox dotnet prepare --versions 8)" in dotnet["8"]
    assert "add 9 to POLYBOX_DOTNET_VERSIONS)" in dotnet["9"]


def test_dotnet_prepare_refuses_an_unknown_version_in_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "dotnet", "prepare", "--versions", "8,7", env={"POLYBOX_DATA_DIR": str(tmp_path)}
    )
    assert_one_line_error(result, ".NET 7 is not supported", "8, 9, 10")


def test_doctor_names_the_fix_when_bubblewrap_is_missing(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {"POLYBOX_DATA_DIR": str(tmp_path / "data"), "PATH": str(bin_dir)}
    result = run_cli("doctor", env=env)
    assert result.returncode == 1
    missing = [line for line in result.stdout.splitlines() if line.startswith("missing")]
    assert any(
        "bubblewrap" in line and "(fix: apt-get install bubblewrap)" in line for line in missing
    )
    assert any(line.split()[1] == "sandbox" for line in missing)


def test_doctor_warns_with_exit_code_3_about_unsafe_local(tmp_path: Path) -> None:
    env = {"POLYBOX_DATA_DIR": str(tmp_path), "POLYBOX_SANDBOX": "unsafe-local"}
    result = run_cli("doctor", env=env)
    sandbox = result.stdout.splitlines()[-1]
    assert sandbox.startswith("warning  sandbox ")
    assert "UNSAFE" in sandbox
    assert "(fix: unset POLYBOX_SANDBOX" in sandbox
    assert result.returncode == 3


@pytest.mark.skipif(os.geteuid() != 0, reason="creating accounts needs root")
def test_doctor_without_fix_does_not_create_the_sandbox_user(tmp_path: Path) -> None:
    name = f"pbx-doc{os.getpid() % 100000}"
    env = {"POLYBOX_DATA_DIR": str(tmp_path), "POLYBOX_SANDBOX_USER": name}
    result = run_cli("doctor", env=env)
    with pytest.raises(KeyError):
        pwd.getpwnam(name)
    assert any(
        line.startswith("missing") and f"{name!r} does not exist" in line
        for line in result.stdout.splitlines()
    )
    assert result.returncode == 1


@pytest.fixture
def images_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """`polybox images ...` in this process (its start-up dominates a subprocess's time here)."""
    for name in [name for name in os.environ if name.startswith("POLYBOX_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("POLYBOX_DATA_DIR", str(tmp_path))

    def run(*args: str, engine: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DOCKER_HOST", engine)
        code = main(["images", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_images_build_builds_each_version_on_the_engine_with_a_progress_bar(
    tmp_path: Path, images_cli: Callable[..., tuple[int, str, str]]
) -> None:
    """The Docker engine is served on loopback (none runs here): see sandbox/docker_engine.py."""
    with served_engine() as engine:
        code, out, err = images_cli("build", "--versions", "8,10", engine=engine.address)
    assert code == 0, err
    assert out.splitlines() == ["polybox-dotnet-workspace:8", "polybox-dotnet-workspace:10"]
    total = 2 * step_count(render_dockerfile("8"))
    progress = err.splitlines()
    assert progress[0] == (
        f"[{'.' * 30}] 0/{total} .NET 8: FROM mcr.microsoft.com/dotnet/sdk:8.0.412"
    )
    assert progress[-1] == f"[{'#' * 30}] {total}/{total} .NET 10: built"
    instances = [build.labels["polybox.instance"] for build in engine.builds]
    assert instances == [instance_id(tmp_path)] * 2


def test_images_build_without_an_engine_names_the_fix_in_one_line(
    tmp_path: Path, images_cli: Callable[..., tuple[int, str, str]]
) -> None:
    address = f"unix://{tmp_path}/docker.sock"
    code, _, err = images_cli("build", engine=address)
    assert code == EXIT_USAGE
    assert err == (
        f"polybox: Docker engine not reachable at {address}: No such file or directory; start "
        "it, or point DOCKER_HOST at the engine the docker backend uses\n"
    )


def test_images_build_refuses_an_unknown_version_in_one_line(
    images_cli: Callable[..., tuple[int, str, str]],
) -> None:
    code, _, err = images_cli("build", "--versions", "8,7", engine="unix:///nonexistent")
    assert (code, err) == (
        EXIT_USAGE,
        "polybox: no workspace image for .NET 7: choose from 8, 9, 10\n",
    )


def test_images_build_shows_the_failed_steps_output(
    images_cli: Callable[..., tuple[int, str, str]],
) -> None:
    with served_engine() as engine:
        engine.fail_step = 2
        engine.step_output = ["E: Unable to locate package tini"]
        code, _, err = images_cli("build", "--versions", "9", engine=engine.address)
    assert code == EXIT_USAGE
    headline, *output = err.splitlines()[-3:]
    steps = step_count(render_dockerfile("9"))
    assert headline.startswith(
        f"polybox: building polybox-dotnet-workspace:9 failed at step 2/{steps} (RUN apt-get"
    )
    assert headline.endswith("returned a non-zero code: 100")
    assert output == ["last output:", "E: Unable to locate package tini"]
