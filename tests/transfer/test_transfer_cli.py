"""`polybox export` and `polybox import` as an operator runs them: real processes, two instances."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from polybox.config import load_settings
from polybox.forge import servers, tools
from polybox.forge.unit import transaction
from polybox.instance import Instance
from test_cli import assert_one_line_error, run_cli
from transfer.seed import CLAUDE, code


def data_dir_env(path: Path) -> dict[str, str]:
    return {"POLYBOX_DATA_DIR": str(path)}


def add_weather(data_dir: Path) -> None:
    """An instance on `data_dir` with a server `weather` and a draft tool (made in-process)."""

    async def add() -> None:
        async with (
            Instance.running(load_settings(data_dir=data_dir), run_tools=False) as instance,
            transaction(instance.sessions, None) as session,
        ):
            await servers.create_server(session, CLAUDE, "weather", "Forecasts")
            await tools.create_tool(session, CLAUDE, "weather", "forecast", code("return {}"))

    anyio.run(add)


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    """The export file of instance A (data dir `a`), written by `polybox export -o`."""
    add_weather(tmp_path / "a")
    target = tmp_path / "weather.json"
    result = run_cli(
        "export", "--server", "weather", "-o", str(target), env=data_dir_env(tmp_path / "a")
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"exported 1 server to {target}"
    return target


def test_export_to_stdout_is_the_json_document(tmp_path: Path) -> None:
    add_weather(tmp_path)

    result = run_cli("export", env=data_dir_env(tmp_path))

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["format"] == "polybox-export"
    assert [server["name"] for server in document["payload"]["servers"]] == ["weather"]


def test_another_instance_imports_the_file_only_with_trust(exported: Path, tmp_path: Path) -> None:
    other = data_dir_env(tmp_path / "b")

    refused = run_cli("import", str(exported), env=other)
    assert_one_line_error(refused, "another polybox instance", "--trust")

    accepted = run_cli("import", str(exported), "--trust", env=other)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.splitlines() == [
        "imported server 'weather' (stopped): forecast (draft)",
        "from another instance: its tools wait for review, its servers are stopped",
    ]
    again = run_cli("import", str(exported), "--trust", env=other)
    assert_one_line_error(again, "server 'weather' already exists")


def test_a_tampered_or_unreadable_file_is_one_line_and_exit_2(
    exported: Path, tmp_path: Path
) -> None:
    document = json.loads(exported.read_text())
    document["payload"]["servers"][0]["name"] = "renamed"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    same = data_dir_env(tmp_path / "a")

    assert_one_line_error(
        run_cli("import", str(tampered), env=same), "changed after it was exported"
    )
    assert_one_line_error(
        run_cli("import", str(tmp_path / "missing.json"), env=same), "cannot read"
    )
    assert_one_line_error(run_cli("export", "--server", "nope", env=same), "no server 'nope'")
