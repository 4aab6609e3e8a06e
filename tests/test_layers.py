"""Imports point down only: surfaces -> services -> runtime -> infra (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "polybox"

# Rank of each top-level module or package; a module may import only equal or lower ranks.
LAYERS: dict[str, int] = {
    # infra
    "errors": 0,
    "config": 0,
    "logs": 0,
    "metrics": 0,
    "events": 0,
    "jobs": 0,
    "crypto": 0,
    "store": 0,
    # runtime
    "sandbox": 1,
    # services
    "auth": 2,
    "forge": 2,
    "alerts": 2,
    "workspaces": 2,
    "instance": 2,
    "doctor": 2,
    # surfaces
    "middleware": 3,
    "app": 3,
    "server": 3,
    "remote": 3,
    "cli": 3,
    "mcp": 3,
    "api": 3,
    "web": 3,
    "__main__": 3,
}


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "polybox" and len(parts) > 1 else None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_its_own_layer_or_below(path: Path) -> None:
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    assert own in LAYERS, f"{own} has no layer: add it to LAYERS and docs/ARCHITECTURE.md"
    for imported in _imports(path):
        target = _top(imported)
        if target is None or target == own:
            continue
        assert target in LAYERS, f"{imported} has no layer"
        assert LAYERS[target] <= LAYERS[own], f"{own} (layer {LAYERS[own]}) imports {imported}"
