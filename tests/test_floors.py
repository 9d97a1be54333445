"""The floors read top-down: library < contracts < experiments < lab (the harness); nothing imports upward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "depthlab"
FLOORS = {"library": 0, "contracts": 1, "experiments": 2, "lab": 3}


def _floor(module: str) -> str:
    """The floor of a dotted module name inside depthlab."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    return top if top in FLOORS else "library"


def _imports(path: Path) -> list[str]:
    """Every depthlab module a file imports (absolute imports; relative ones are not used in this package)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("depthlab")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("depthlab"):
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_floor(path):
    here = _floor(_module_name(path))
    named = [name for name in _imports(path) if name.count(".") >= 1 and name.split(".")[1] in FLOORS]
    upward = [name for name in named if FLOORS[_floor(name)] > FLOORS[here]]  # `from depthlab import lab` counts
    assert not upward, f"{path.relative_to(PACKAGE)} ({here}) imports a higher floor: {upward}"


def test_the_floor_check_sees_an_upward_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from depthlab.lab.cli import main\nfrom depthlab.contracts import Result\n")
    assert [FLOORS[_floor(name)] for name in _imports(probe)] == [3, 3, 1, 1]
