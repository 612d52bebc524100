"""The import graph runs one way: expr → grading → bank → practice → render → cli (engine
beside expr, sheets beside bank). Nothing imports a layer above its own; the core never
imports typer; only render and cli import rich."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "backprop_coach"
ORDER = [
    "untrusted", "atomic", "paths", "expr", "engine", "grading", "bank", "sheets", "practice",
    "render", "cli", "__main__",
]  # fmt: skip


def _imports(path: Path) -> list[str]:
    """Every module a file imports (at any depth: lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def _layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


FILES = sorted(p for p in PACKAGE.rglob("*.py") if _layer(p) != "__init__")


def test_every_layer_is_in_the_order() -> None:
    assert {_layer(p) for p in FILES} <= set(ORDER)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_runs_back_up(path: Path) -> None:
    layer = _layer(path)
    for module in _imports(path):
        if module.startswith("backprop_coach."):
            target = module.split(".")[1]
            assert ORDER.index(target) <= ORDER.index(layer), f"{layer} imports {module}"
        top = module.split(".")[0]
        if layer not in ("cli", "__main__"):
            assert top != "typer", f"{path.name}: the core imports typer"
        if layer not in ("render", "cli"):
            assert top != "rich", f"{path.name}: only render and cli use rich"
