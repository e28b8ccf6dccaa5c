"""Faults, for real, on a local Ray limited to 2 CPUs.

* a worker actor killed (SIGKILL) mid-batch: its scene is retried on a new actor, and every
  scene is stored exactly once;
* a corrupt scene in the list: recorded as failed with its reason, the rest stored;
* the driver killed (SIGKILL of its whole process group) mid-batch, then the same command run
  again: only the scenes that were not stored run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.batch.answering import SceneOutcome
from agent.batch.engines import RayEngine
from agent.batch.runner import plan_batch, run_batch
from geomag_core.config import REPO_ROOT, Settings
from tests.batch.conftest import QUESTION, descendants, pid_alive, request_counts

pytestmark = pytest.mark.slow


def test_a_killed_worker_is_replaced_and_every_scene_is_stored_once(
    data_dir: Path, naip_series: list[Path], corrupt_scene: Path
) -> None:
    scenes = [*naip_series[:5], corrupt_scene, *naip_series[5:]]
    settings = Settings(scene_files=tuple(scenes))
    plan = plan_batch(settings, QUESTION, scenes)
    engine = RayEngine(settings, QUESTION, workers=2, cpus=2)
    killed: list[int] = []
    first: set[int] = set()

    def kill_the_other_worker(outcome: SceneOutcome) -> None:
        if killed or outcome.status != "answered":
            return
        first.update(engine.pids.values())
        busy = [pid for pid in engine.pids.values() if f"ray:{pid}" != outcome.worker]
        os.kill(busy[0], signal.SIGKILL)
        killed.append(busy[0])

    summary = run_batch(settings, plan, engine, report=kill_the_other_worker)

    assert killed
    assert not pid_alive(killed[0])
    assert summary.counts == {"answered": 10, "skipped": 0, "failed": 1}
    retried = [o for o in summary.outcomes if o.attempts > 1]
    assert retried, "the killed worker's scene was not retried"
    assert all(o.status == "answered" for o in retried)
    workers = {int(o.worker.removeprefix("ray:")) for o in summary.outcomes if o.worker}
    assert killed[0] not in workers
    assert workers - first, "no new actor took over from the killed one"
    (failed,) = summary.failures
    assert failed.path == str(corrupt_scene)
    assert failed.attempts == 1  # a bad file is its own failure, not a dead worker
    assert "truncated.tif" in failed.error
    counts = request_counts(settings)
    assert set(counts.values()) == {1}
    assert sorted(counts) == sorted(t.request_id for t in plan.to_run if t.path != failed.path)


def _stored_lines(report_dir: Path) -> int:
    return sum(
        1
        for path in report_dir.glob("*.jsonl")
        for line in path.read_text().splitlines()
        if line.strip() and json.loads(line)["status"] == "answered"
    )


def test_a_killed_driver_resumes_with_only_the_missing_scenes(
    data_dir: Path, airbus_scenes: list[Path]
) -> None:
    scenes = [str(p) for p in airbus_scenes[:4]]
    command = [
        sys.executable, "-m", "agent.cli.main", "batch", QUESTION, *scenes,
        "--engine", "ray", "--workers", "2", "--cpus", "2", "--json",
    ]  # fmt: skip
    report_dir = data_dir / "batches"
    driver = subprocess.Popen(
        command, cwd=REPO_ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while _stored_lines(report_dir) < 1 if report_dir.exists() else True:
        assert driver.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline, "no scene was stored in 5 minutes"
        time.sleep(0.05)
    tree = descendants(driver.pid)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its local Ray's head processes
    driver.wait(timeout=30)
    # Workers in a session of their own notice their cluster is gone and exit; one that was
    # storing may commit first: the rerun must skip whatever is stored by then.
    deadline = time.monotonic() + 60
    while any(pid_alive(pid) for pid in tree):
        assert time.monotonic() < deadline, "the killed batch's processes did not exit"
        time.sleep(0.2)
    settings = Settings()
    before = request_counts(settings)
    assert 1 <= len(before) < len(scenes)

    rerun = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)

    assert rerun.returncode == 0, rerun.stderr[-2000:]
    summary = json.loads(rerun.stdout)
    assert summary["counts"] == {
        "answered": len(scenes) - len(before),
        "skipped": len(before),
        "failed": 0,
    }
    skipped = {s["request_id"] for s in summary["scenes"] if s["status"] == "skipped"}
    assert skipped == set(before)
    after = request_counts(settings)
    assert len(after) == len(scenes)
    assert set(after.values()) == {1}
