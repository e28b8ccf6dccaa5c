"""Stop the Ray processes a batch started when its driver dies, however it dies.

``ray.shutdown()`` runs when a batch ends, fails or is interrupted (SIGINT, SIGTERM); a driver
killed with SIGKILL runs nothing, and Ray's helpers (the dashboard and runtime-env agents)
outlive it, reparented to init and renamed, so neither their parent nor their command line says
whose they are. Their environment does: :func:`start_reaper` puts a fresh token in the driver's
environment before Ray starts (every process Ray spawns inherits it) and starts a small watcher
in a session of its own. When the driver is gone, the watcher stops every process that carries
the token: SIGTERM, then SIGKILL to what is left after a grace period, for a few rounds (a
helper that was being spawned at the time is caught too).

    python -m agent.batch.reaper DRIVER_PID TOKEN
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

__all__ = ["TOKEN_ENV", "marked_processes", "start_reaper", "watch"]

#: The environment variable that marks the processes of one batch's Ray.
TOKEN_ENV = "GEOMAG_BATCH_TOKEN"
#: How often the watcher looks at the driver, how long SIGTERM has to work, and for how long
#: after the driver's death marked processes are looked for.
POLL_S = 0.5
GRACE_S = 3.0
SWEEP_S = 10.0


def _start_time(pid: int) -> int | None:
    """Start time of ``pid`` (clock ticks since boot), ``None`` when it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else int(fields[19])


def marked_processes(token: str) -> set[int]:
    """The living processes (other than this one) whose environment carries ``token``."""
    mark = f"{TOKEN_ENV}={token}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or another user's
            continue
        if mark in environ and _start_time(int(entry.name)) is not None:
            found.add(int(entry.name))
    return found


def watch(driver: int, token: str, *, poll_s: float = POLL_S, grace_s: float = GRACE_S) -> int:
    """Wait for ``driver`` to die, then stop the processes marked with ``token``; how many."""
    born = _start_time(driver)
    while born is not None and _start_time(driver) == born:
        time.sleep(poll_s)
    stopped: set[int] = set()
    sweep_until = time.monotonic() + SWEEP_S
    while time.monotonic() < sweep_until:
        living = marked_processes(token)
        for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 0.0)):
            for pid in living:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while living and time.monotonic() < deadline:
                time.sleep(0.1)
                living = {p for p in living if _start_time(p) is not None}
        stopped |= living
        time.sleep(poll_s)
    return len(stopped)


def start_reaper() -> subprocess.Popen[bytes]:
    """Mark this process's future children with a fresh token and start their watcher.

    Call before Ray starts; the watcher lives in a session of its own, so a kill of the
    driver's process group spares it.
    """
    token = uuid.uuid4().hex
    os.environ[TOKEN_ENV] = token
    return subprocess.Popen(
        [sys.executable, "-m", "agent.batch.reaper", str(os.getpid()), token],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    watch(int(sys.argv[1]), sys.argv[2])
