"""Docs that cannot rot: what the code has, the docs must name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT / "docs" / "SECURITY.md"


def _attack_tests() -> list[str]:
    names: list[str] = []
    for path in sorted((ROOT / "tests" / "security").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.extend(
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")
        )
    return names


def test_the_attack_suite_has_at_least_sixty_attacks() -> None:
    assert len(_attack_tests()) >= 60


@pytest.mark.parametrize("name", _attack_tests())
def test_every_attack_test_is_listed_in_security_md(name: str) -> None:
    assert f"`{name}`" in SECURITY.read_text(encoding="utf-8"), f"add {name} to docs/SECURITY.md"


def test_readme_quick_start_is_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("## ", 1)[0]
    block = quick_start.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]
