"""The package's layout holds (docs/architecture.md): rooms by role, imports only downwards,
no import cycles (also none hidden inside a function), one home per name (no re-exports),
Streamlit only in the app, and no product code that leans on the lab or the tests."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "locnet"

# What each room of `locnet` may import (besides itself), lowest rooms first. A top-level
# module is a room of its own; `cli` reaches the commands through `importlib` only.
BASE = {"errors", "constants"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "constants": set(),
    "files": {"errors"},
    "config_cli": set(),
    "data": BASE | {"files"},
    "models": BASE | {"files", "data"},
    "posterior": BASE | {"models", "data"},
    "inference": BASE | {"files", "data", "models", "posterior"},
    "evaluate": BASE | {"files", "config_cli", "data", "models", "posterior", "inference"},
    "report": BASE | {"files", "data", "models", "posterior", "evaluate"},
    "viz": BASE | {"data", "posterior"},
    "cases": BASE | {"files", "data", "models", "posterior", "inference", "viz", "measurements"},
    "train": BASE | {"files", "config_cli", "data", "models", "posterior", "evaluate"},
    "measurements": BASE | {"files", "config_cli", "models", "posterior", "evaluate"},
    "bench": BASE | {"files", "data", "models", "posterior", "inference", "evaluate", "train"},
    "app": BASE
    | {"files", "data", "models", "posterior", "inference", "evaluate", "report", "viz", "cases"}
    | {"measurements"},
    "cli": BASE | {"files"},
    "__main__": {"cli"},
    "__init__": BASE | {"data", "models", "posterior", "inference", "cases"},
}
MAX_TOP_LEVEL_MODULES = 12


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def imported_modules(path: Path) -> set[str]:
    """Every `locnet` module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("locnet")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("locnet"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules() else node.module)
    return {m for m in found if m != "locnet"}


def room(module: str) -> str:
    """`locnet.data.sampling` -> `data`; `locnet.inference` -> `inference`; `locnet` -> `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_rooms_import_only_what_they_may():
    wrong = []
    for name, path in modules().items():
        here = room(name)
        assert here in ALLOWED, f"{name}: a new room; add it to ALLOWED and docs/architecture.md"
        for target in imported_modules(path):
            there = room(target)
            if there != here and there not in ALLOWED[here]:
                wrong.append(f"{name} -> {target}")
    assert not wrong, "imports against the layering (docs/architecture.md):\n" + "\n".join(wrong)


def test_no_import_cycles_between_modules():
    graph = {name: imported_modules(path) for name, path in modules().items()}
    for name, targets in graph.items():  # a package's __init__ is not an edge of its children
        graph[name] = {t for t in targets if t in graph and not name.startswith(t + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def defined_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for tg in targets for t in ast.walk(tg) if isinstance(t, ast.Name)}
    imported = {
        alias.asname or alias.name
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    return names - imported  # `X = X` after importing X hands X on: not a definition


def python_files() -> list[Path]:
    places = [PACKAGE, ROOT / "app_pages", ROOT / "scripts", ROOT / "lab", ROOT / "tests"]
    return [ROOT / "app.py"] + [p for place in places for p in sorted(place.rglob("*.py"))]


def test_every_name_is_imported_from_its_owner():
    """One home per name: `from locnet.X import n` only where X defines n (or n is X's
    submodule), so no module hands on names it imported."""
    wrong = []
    for path in python_files():
        for node in ast.walk(parsed(path)):
            if not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("locnet")):
                continue
            owner = modules().get(node.module)
            assert owner is not None, f"{path}: imports {node.module}, which does not exist"
            for alias in node.names:
                if f"{node.module}.{alias.name}" in modules():
                    continue
                if alias.name not in defined_names(owner):
                    wrong.append(f"{path.relative_to(ROOT)}: {alias.name} from {node.module}")
    assert not wrong, "names imported from a module that does not define them:\n" + "\n".join(wrong)


def test_package_inits_only_document():
    """Subpackage `__init__`s are docstrings (what the room owns and may import), not shims."""
    for path in sorted(PACKAGE.glob("*/__init__.py")):
        body = parsed(path).body
        assert body and isinstance(body[0], ast.Expr), f"{path}: say what the room owns"
        assert len(body) == 1, f"{path}: an __init__ holds only its docstring"


def test_top_level_stays_small_and_the_product_leans_on_no_lab_or_test_code():
    top = [p for p in PACKAGE.glob("*.py")]
    assert len(top) <= MAX_TOP_LEVEL_MODULES, sorted(p.name for p in top)
    for name, path in modules().items():
        for node in ast.walk(parsed(path)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                roots = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""
                ]
                for imported in roots:
                    top_name = imported.split(".")[0]
                    assert top_name not in {"lab", "tests", "scripts"}, f"{name} imports {imported}"
                    if top_name == "streamlit":
                        assert room(name) == "app", f"{name} imports streamlit outside locnet.app"
