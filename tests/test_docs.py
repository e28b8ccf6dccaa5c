"""The repository explains itself: its documents point only inside it, at things that exist.

* README.md and docs/*.md link to nothing outside the checkout: no markdown link, inline code or
  code-block word that starts with ``../``, and no mention of ``shared/design``.
* docs/architecture.md names only real things: every path in backticks (``a/b.py``, ``a/b/``)
  exists, and every dotted name in backticks under a project package (``agent.session.Session``)
  is a module, or a module and a name defined in it.

Names are checked by reading the files' source (``ast``), never by importing them: no torch.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
ARCHITECTURE = REPO / "docs" / "architecture.md"
DOCUMENTS = [README, *sorted((REPO / "docs").glob("*.md"))]
PACKAGES = ("agent", "tools", "geomag_core", "db", "ui")

FENCE = re.compile(r"^(```|~~~).*?^\1[^\S\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
HTML_TARGET = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)""", re.IGNORECASE)
#: A repository path: words joined by ``/``, ending in ``.py`` (or another file suffix) or ``/``.
#: ``{a,b}`` is expanded as a shell would.
PATH = re.compile(
    r"[\w.\-{},]+(?:/[\w.\-{},]+)*"
    r"(?:\.(?:py|md|json|toml|ini|txt|tsv|sh|yaml|yml|mako|safetensors)|/)"
)
DOTTED = re.compile(rf"(?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+")


def _split(text: str) -> tuple[str, list[str]]:
    """``text`` without its fenced code blocks, and the blocks."""
    blocks = [m.group(0) for m in FENCE.finditer(text)]
    return FENCE.sub("", text), blocks


def _inline_code(text: str) -> list[str]:
    """The contents of every inline code span outside fenced blocks."""
    prose, _ = _split(text)
    return [m.group(2).strip() for m in INLINE_CODE.finditer(prose)]


def _outward(target: str) -> bool:
    """Whether ``target`` leaves the repository or names the old design folder."""
    target = target.strip().strip("'\"")
    return target.startswith("../") or "shared/design" in target


def outward_references(text: str) -> list[str]:
    """Links, inline code and code-block words of ``text`` that point outside the repository."""
    prose, blocks = _split(text)
    found = [t for t in LINK.findall(prose) if _outward(t)]
    found += [t for t in REFERENCE.findall(prose) if _outward(t)]
    found += [t for t in HTML_TARGET.findall(text) if _outward(t)]
    found += [t for t in _inline_code(text) if _outward(t)]
    found += [word for block in blocks for word in block.split() if _outward(word)]
    if "shared/design" in text and not any("shared/design" in f for f in found):
        found.append("shared/design")
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_documents_point_only_inside_the_repository(document: Path) -> None:
    assert outward_references(document.read_text(encoding="utf-8")) == []


def test_the_outward_check_catches_links_and_paths() -> None:
    bad = (
        "See [the design](../shared/design/ARCHITECTURE.md).\n"
        "[ref]: ../elsewhere.md\n"
        "Data in `../shared/data`; the old `shared/design` notes.\n"
        "```bash\nGEOMAG_SCENES_DIR=x geomag ask ../shared/data/scene.tif\n```\n"
    )
    found = outward_references(bad)
    assert "../shared/design/ARCHITECTURE.md" in found
    assert "../elsewhere.md" in found
    assert "../shared/data" in found
    assert "shared/design" in found
    assert "../shared/data/scene.tif" in found
    assert outward_references("[docs](docs/architecture.md), `agent/session.py`, `..`") == []


def _expand(path: str) -> list[str]:
    """``a/{b,c}.py`` → ``a/b.py``, ``a/c.py`` (nested braces are not needed)."""
    match = re.search(r"\{([^{}]*)\}", path)
    if match is None:
        return [path]
    head, tail = path[: match.start()], path[match.end() :]
    return [p for option in match.group(1).split(",") for p in _expand(head + option + tail)]


def mentioned_paths(text: str) -> list[str]:
    """Repository paths in backticks: ``a/b.py``-like files and ``a/b/`` folders."""
    spans = _inline_code(text)
    return [p for span in spans if PATH.fullmatch(span) and "/" in span for p in _expand(span)]


def mentioned_names(text: str) -> list[str]:
    """Dotted names in backticks under a project package (``tools.capabilities.route``)."""
    return [span for span in _inline_code(text) if DOTTED.fullmatch(span)]


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _module_file(parts: list[str]) -> Path | None:
    base = REPO.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _names_in(body: list[ast.stmt]) -> set[str]:
    """Names a block of statements defines (functions, classes, assignments)."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _exported(tree: ast.Module) -> set[str]:
    """Names listed in the module's ``__all__`` (re-exports of a package's ``__init__``)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            return {str(v) for v in value}
    return set()


def _imported(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def _class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    return next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name),
        None,
    )


def resolves(dotted: str) -> bool:
    """Whether ``dotted`` is a module, or a module plus names defined in it.

    After the longest prefix that is a module file, the next name must be defined at the
    module's top level (or imported and listed in its ``__all__``); one more may follow when
    that name is a class defined there (a method, attribute or property of it).
    """
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        path = _module_file(parts[:cut])
        if path is None:
            continue
        rest = parts[cut:]
        if not rest:
            return True
        tree = _tree(path)
        top = _names_in(tree.body) | (_exported(tree) & _imported(tree))
        if rest[0] not in top or len(rest) > 2:
            return False
        if len(rest) == 1:
            return True
        cls = _class(tree, rest[0])
        return cls is not None and rest[1] in _names_in(cls.body)
    return False


def test_the_architecture_document_exists_and_names_things() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert len(mentioned_paths(text)) > 20
    assert len(mentioned_names(text)) > 5


def test_every_path_the_architecture_document_names_exists() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = sorted({p for p in mentioned_paths(text) if not (REPO / p).exists()})
    assert missing == []


def test_every_dotted_name_the_architecture_document_uses_resolves() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    unresolved = sorted({n for n in mentioned_names(text) if not resolves(n)})
    assert unresolved == []


def test_the_name_check_tells_real_names_from_invented_ones() -> None:
    assert resolves("agent.session")
    assert resolves("agent.session.Session")
    assert resolves("agent.session.Session.ask")
    assert resolves("tools.capabilities.route")  # re-exported by the package
    assert resolves("geomag_core.labels.SUBJECTS")
    assert not resolves("agent.session.Sessions")
    assert not resolves("agent.session.Session.asks")
    assert not resolves("ui.services.asking")
    assert not resolves("tools.labels.label_in")
    assert mentioned_paths("`tools/capabilities/{nano,vlm}.py` and `geomag_core/psc/`") == [
        "tools/capabilities/nano.py",
        "tools/capabilities/vlm.py",
        "geomag_core/psc/",
    ]
    assert mentioned_paths("`<data_dir>/uploads`, `geomag history --label car`") == []
