"""One session API runs questions: the front ends never stream or invoke the graph themselves."""

from __future__ import annotations

import re

from geomag_core.config import REPO_ROOT

FRONT_ENDS = ("agent/cli", "agent/batch", "ui")
RUNS_A_GRAPH = re.compile(r"\.(stream|invoke|astream|ainvoke)\(|build_pipeline|build_agent")


def test_only_the_session_runs_the_question_graph() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{n}"
        for folder in FRONT_ENDS
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if RUNS_A_GRAPH.search(line)
    ]
    assert offenders == []
    session = (REPO_ROOT / "agent" / "session.py").read_text(encoding="utf-8")
    assert "self.graph.stream(" in session  # and the session does


def test_the_front_ends_use_the_session() -> None:
    for module in ("agent/cli/ask.py", "agent/batch/answering.py", "ui/resources.py"):
        assert "from agent.session import" in (REPO_ROOT / module).read_text(encoding="utf-8")
