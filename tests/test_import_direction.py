"""Imports point one way: ui → agent → tools → {geomag_core, db}; alembic → db.

Each project package may import only the packages below it; ``geomag_core`` also stays free of
the agent, UI and database stacks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from geomag_core.config import REPO_ROOT

#: Lower layers first: a package may import the ones before it (and itself), nothing after.
LAYERS = ["geomag_core", "db", "tools", "agent", "ui"]
ALLOWED = {pkg: set(LAYERS[: i + 1]) for i, pkg in enumerate(LAYERS)}
ALLOWED["alembic"] = {"db"}
FORBIDDEN_THIRD_PARTY = {
    "geomag_core": {
        "langchain",
        "langchain_core",
        "langchain_openai",
        "langgraph",
        "streamlit",
        "sqlalchemy",
        "geoalchemy2",
        "alembic",
    },
    "db": {"langchain", "langchain_core", "langgraph", "streamlit", "torch"},
    "tools": {"streamlit"},
    "agent": {"streamlit"},
}
PROJECT = set(LAYERS)


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (relative imports excluded)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def violations() -> list[str]:
    found = []
    for pkg in [*LAYERS, "alembic"]:
        for path in sorted((REPO_ROOT / pkg).rglob("*.py")):
            for name in imported_modules(path):
                rel = path.relative_to(REPO_ROOT)
                if name in PROJECT and name not in ALLOWED[pkg]:
                    found.append(
                        f"{rel} imports {name}: {pkg} may import only {sorted(ALLOWED[pkg])}"
                    )
                if name in FORBIDDEN_THIRD_PARTY.get(pkg, set()):
                    found.append(f"{rel} imports {name}, which {pkg} must not depend on")
    return found


def test_imports_point_one_way() -> None:
    assert violations() == []


def test_the_checker_catches_a_wrong_arrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = REPO_ROOT / "geomag_core" / "_wrong_arrow_probe.py"
    bad.write_text("import streamlit\nfrom agent import cli\n")
    try:
        found = violations()
    finally:
        bad.unlink()
    assert any("imports agent" in v for v in found)
    assert any("imports streamlit" in v for v in found)
