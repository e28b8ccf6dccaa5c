"""Issue 26: ``threads.sqlite`` reached ~115 MB after ~30 questions (a checkpoint per step, each
with the whole state). A finished turn keeps only its thread's latest checkpoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agent.session import Session
from geomag_core.config import Settings


def _rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT thread_id, count(*) FROM checkpoints GROUP BY thread_id"))


def test_a_finished_thread_keeps_one_checkpoint_and_its_whole_history(
    tmp_path: Path, sample_scene: Path
) -> None:
    settings = Settings(data_dir=tmp_path, model_profile="nano", gsd=0.5)
    questions = ["how many aircraft are there?", "segment the water", "how many aircraft?"]
    with Session(settings) as session:
        for question in questions:
            session.ask(sample_scene, question, "one")
        session.ask(sample_scene, "outline the water", "two")
        assert _rows(tmp_path / "threads.sqlite") == {"one": 1, "two": 1}
        # what a resumed investigation needs is all there: every question and its evidence
        assert [p.question for p in session.history("one")] == questions
        assert all(o is not None for o in session.outcomes("one")[:1])
        # and a retried last question is still replayed from the thread, not run again
        again = session.ask(sample_scene, questions[-1], "one")
        assert again.replayed
