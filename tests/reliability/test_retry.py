"""Issue 15 case 1: ``kill -9`` after "Stored query", then the same command: stored once.

A real ``geomag ask`` process on SpatiaLite is killed with SIGKILL when it prints a step line,
then the identical command is run again. Before the fix every run drew a new request id and the
rerun stored a second complete copy, while the thread remembered one question.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from agent.checkpointer import open_checkpointer
from agent.pipeline import build_pipeline
from agent.retries import request_id_for
from db.engine import create_db_engine
from geomag_core.config import Settings
from tests.conftest import postgis_database

QUESTION = "how many aircraft are there?"


def _command(scene: Path, thread: str) -> list[str]:
    geomag = str(Path(sys.executable).parent / "geomag")
    # --gsd 0.5: nano searches the sample as if it were a 0.5 m scene, so the run stores a query
    return [geomag, "ask", str(scene), QUESTION, "--thread", thread, "--gsd", "0.5"]


def _kill_when_printed(command: list[str], env: dict[str, str], marker: str) -> None:
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert proc.stderr is not None
    seen = []
    for raw in proc.stderr:
        seen.append(raw.decode(errors="replace"))
        if marker in seen[-1]:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)


def _stored(url: str) -> tuple[int, int]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as db:
            queries = db.execute(text("SELECT count(*) FROM queries")).scalar_one()
            results = db.execute(text("SELECT count(*) FROM results")).scalar_one()
    finally:
        engine.dispose()
    return int(queries), int(results)


def _remembered(data: Path, url: str, thread: str) -> list[dict[str, object]]:
    with open_checkpointer(Settings(data_dir=data, database_url=url)) as saver:
        state = build_pipeline(saver).get_state({"configurable": {"thread_id": thread}})
    return list(state.values.get("history", []))


def _kill_and_rerun(tmp_path: Path, scene: Path, marker: str, url: str | None) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "GEOMAG_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    env.pop("GEOMAG_DATABASE_URL", None)
    if url is not None:
        env["GEOMAG_DATABASE_URL"] = url  # history and checkpoints both on Postgres
    url = url or f"sqlite:///{data / 'geomag.sqlite'}"
    command = _command(scene, "T1")
    _kill_when_printed(command, env, marker)
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "Stored as query #1" in rerun.stdout
    queries, results = _stored(url)
    assert queries == 1, f"{queries} queries stored for one question"
    history = _remembered(data, url, "T1")
    assert len(history) == queries  # the thread remembers what the database holds
    assert history[0].question == QUESTION and history[0].query_id == 1
    if marker == "Stored query" and url.startswith("sqlite"):  # a third run: a retry too
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0 and _stored(url) == (queries, results)


@pytest.mark.parametrize("marker", ["Stored query", "Segmenting"])
def test_a_killed_question_asked_again_is_stored_once(
    tmp_path: Path, sample_scene: Path, marker: str
) -> None:
    _kill_and_rerun(tmp_path, sample_scene, marker, None)


@pytest.mark.postgis
def test_on_postgis_too(tmp_path: Path, sample_scene: Path) -> None:
    with postgis_database() as url:
        _kill_and_rerun(tmp_path, sample_scene, "Stored query", url)


def test_the_request_id_depends_on_what_was_asked() -> None:
    versions = {"profile": "nano", "nano": "shipped"}
    first = request_id_for("T1", QUESTION, "ab" * 32, versions, 0)
    assert first == request_id_for("T1", f"  {QUESTION} ", "ab" * 32, versions, 0)
    others = {
        request_id_for("T2", QUESTION, "ab" * 32, versions, 0),
        request_id_for("T1", "where are the cars?", "ab" * 32, versions, 0),
        request_id_for("T1", QUESTION, "cd" * 32, versions, 0),
        request_id_for("T1", QUESTION, "ab" * 32, {**versions, "nano": "mine"}, 0),
        request_id_for("T1", QUESTION, "ab" * 32, versions, 1),
    }
    assert first not in others and len(others) == 5 and len(first) == 64


def test_the_investigators_pipeline_tool_stores_one_tool_call_once(
    tmp_path: Path, sample_scene: Path
) -> None:
    """A resumed investigator run re-executes its pending tool call with the same id."""
    from sqlalchemy import func, select

    from agent.context import AgentContext
    from agent.investigator import pipeline_tool
    from db.models import QueryRow
    from tools.workbench import Workbench

    wb = Workbench(Settings(data_dir=tmp_path / "data", model_profile="nano"))
    tool = pipeline_tool(AgentContext(workbench=wb))
    args = {"scene": str(sample_scene), "question": QUESTION}

    def call(call_id: str) -> None:
        tool.invoke({"name": tool.name, "args": args, "id": call_id, "type": "tool_call"})

    def stored() -> int:
        with wb.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(QueryRow)) or 0)

    call("call-1")
    call("call-1")  # the same call again: the first save stands
    assert stored() == 1
    call("call-2")  # another call of the model: a new question. The first found no shapes
    assert stored() == 2  # (aircraft are too small to see at 5 m), so it is asked again
