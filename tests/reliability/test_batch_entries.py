"""Issue 27, item 1: one bad entry never hangs or sinks a batch; an unreachable cluster is one line.

Run as the real console script with a deadline: a FIFO or ``/dev/zero`` in the scene list used
to block the planning hash forever (the deadline turns such a hang into a failure here).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

QUESTION = "outline the water"


def _geomag(*args: str | Path, env_dir: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("geomag", path=str(Path(sys.executable).parent))
    assert exe
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOMAG_")}
    env |= {"GEOMAG_DATA_DIR": str(env_dir), "HF_HUB_OFFLINE": "1"}
    if shared := os.environ.get("GEOMAG_SHARED_DATA_DIR"):
        env["GEOMAG_SHARED_DATA_DIR"] = shared
    return subprocess.run(
        [exe, *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout
    )


def test_odd_entries_fail_alone_and_the_rest_is_answered(
    tmp_path: Path, sample_scene: Path
) -> None:
    fifo = tmp_path / "pipe.tif"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.tif"
    loop.symlink_to(loop)
    folder = tmp_path / "a-folder.tif"
    folder.mkdir()
    listing = tmp_path / "scenes.txt"
    entries = [fifo, "/dev/zero", loop, tmp_path / "missing.tif", folder, sample_scene]
    listing.write_text("\n".join(map(str, entries)) + "\n")
    started = time.monotonic()
    run = _geomag(
        "batch", QUESTION, "--scenes-from", listing, "--json", env_dir=tmp_path / "data",
        timeout=600,
    )  # fmt: skip
    assert time.monotonic() - started < 600
    assert run.returncode == 2, run.stderr  # some scenes failed: status 2, with the report
    assert "Traceback" not in run.stderr
    report = json.loads(run.stdout)
    by_path = {o["path"]: o for o in report["scenes"]}
    assert by_path[str(sample_scene.resolve())]["status"] == "answered"
    reasons = {Path(p).name: o["error"] for p, o in by_path.items() if o["status"] == "failed"}
    assert "not a regular file" in reasons["pipe.tif"]
    assert "not a regular file" in reasons["zero"]
    assert "leads nowhere" in reasons["loop.tif"]
    assert "no such file" in reasons["missing.tif"]
    assert "directory" in reasons["a-folder.tif"]
    assert report["counts"] == {"answered": 1, "skipped": 0, "failed": 5}


@pytest.fixture()
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for conn in held:
        conn.close()


@pytest.mark.parametrize("kind", ["closed port", "silent server"])
def test_an_unreachable_cluster_is_one_line_within_a_deadline(
    kind: str, tmp_path: Path, sample_scene: Path, request: pytest.FixtureRequest
) -> None:
    address = "127.0.0.1:1" if kind == "closed port" else request.getfixturevalue("silent_server")
    started = time.monotonic()
    run = _geomag(
        "batch", QUESTION, sample_scene, "--engine", "ray", "--address", address,
        env_dir=tmp_path / "data", timeout=120,
    )  # fmt: skip
    took = time.monotonic() - started
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 2 and len(lines) == 1, run.stderr
    assert lines[0].startswith(f"error: no Ray cluster answers at {address} within 10 s")
    assert took < 60, took  # before: Ray was still retrying at 497 s
