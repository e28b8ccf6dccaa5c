"""Issue 27, item 6: a batch driver killed with SIGKILL (the driver alone, not its process
group) leaves none of the Ray processes it started running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.batch.reaper import TOKEN_ENV, marked_processes
from geomag_core.config import REPO_ROOT
from tests.batch.conftest import descendants, pid_alive

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_no_ray_process_outlives_a_killed_driver(
    tmp_path: Path, naip_tiles: list[Path], sig: signal.Signals
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOMAG_")}
    env |= {"GEOMAG_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable, "-m", "agent.cli.main", "batch", "outline the water",
        *map(str, naip_tiles), "--engine", "ray", "--workers", "1", "--cpus", "1",
    ]  # fmt: skip
    driver = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    tree: set[int] = set()
    while not any(b"agent" in _cmdline(pid) for pid in tree):  # Ray's helpers are starting
        assert driver.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline, "Ray did not start in 4 minutes"
        tree = descendants(driver.pid)
        time.sleep(0.2)
    tokens = {_token(pid) for pid in tree} - {None}
    os.kill(driver.pid, sig)  # the driver alone, as Ray's helpers are starting
    # SIGTERM runs ray.shutdown() on a cluster still starting: 3–30 s alone, but twice over
    # 60 s on a slow 2-core machine (Ray's requests to its control store may wait 60 s,
    # gcs_server_request_timeout_seconds), so the driver gets 180 s; nothing may outlive it.
    driver.wait(timeout=180)
    assert len(tokens) == 1, tokens  # every process Ray started carries the batch's token
    (token,) = tokens
    deadline = time.monotonic() + 30
    while left := {p for p in tree if pid_alive(p)} | marked_processes(str(token)):
        names = [_cmdline(pid)[:80] for pid in left]
        assert time.monotonic() < deadline, f"still running 30 s after the driver died: {names}"
        time.sleep(0.5)


def _token(pid: int) -> str | None:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    mark = f"{TOKEN_ENV}=".encode()
    return next((e[len(mark) :].decode() for e in environ if e.startswith(mark)), None)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return b""
