"""Where a batch's scenes are answered: in this process, or on Ray actors.

Both engines take the scenes still to answer and call ``report`` with each
:class:`~agent.batch.answering.SceneOutcome` as it arrives (the CLI's progress bar).

:class:`RayEngine` starts (or joins, with ``address``) a Ray cluster and creates one actor per
worker; each actor loads the models once and answers one scene at a time. A worker that dies
mid-scene (killed, out of memory) loses nothing: its scene goes back to the queue and is
answered by a new actor, and because the answer is stored under the scene's request id, a scene
whose store had already committed is not stored twice. A scene whose worker dies
``max_attempts`` times is recorded as failed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from agent.batch.answering import SceneAnswerer, SceneOutcome, one_line
from agent.batch.reaper import TOKEN_ENV, start_reaper
from agent.batch.scenes import SceneTask
from geomag_core.config import Settings
from geomag_core.errors import GeoMagError

__all__ = ["LocalEngine", "RayEngine", "Report"]

Report = Callable[[SceneOutcome], None]


class LocalEngine:
    """Answer every scene in this process, one after another (small jobs, no Ray)."""

    name = "local"

    def __init__(self, settings: Settings, question: str) -> None:
        self.settings = settings
        self.question = question
        self.workers = 1

    def run(self, tasks: Sequence[SceneTask], report: Report) -> list[SceneOutcome]:
        """Answer ``tasks`` in order."""
        answerer = SceneAnswerer(self.settings, self.question, worker="local")
        outcomes = []
        for task in tasks:
            outcome = answerer.answer(task)
            outcomes.append(outcome)
            report(outcome)
        return outcomes


class RayEngine:
    """One Ray actor per worker, each answering scene after scene.

    Args:
        settings: the batch's settings, sent to every actor.
        question: the batch's question.
        workers: actors to run.
        address: a Ray cluster to join from one of its nodes (``auto`` or ``HEAD_IP:6379``);
            ``None`` starts a local one for this batch and stops it afterwards.
        cpus: CPUs of the local cluster (default: all of this machine's); ignored with
            ``address``.
        max_attempts: tries per scene when workers die under it.

    """

    name = "ray"

    def __init__(
        self,
        settings: Settings,
        question: str,
        *,
        workers: int = 2,
        address: str | None = None,
        cpus: int | None = None,
        max_attempts: int = 3,
    ) -> None:
        if workers < 1:
            raise GeoMagError("--workers must be at least 1")
        self.settings = settings
        self.question = question
        self.workers = workers
        self.address = address
        if address:  # before the scenes are hashed or a progress bar is drawn
            _check_answers(address)
        self.cpus = cpus
        self.max_attempts = max_attempts
        self.pids: dict[str, int] = {}
        """Each live actor's process id, by actor name (tests kill workers through it)."""

    def _start(self) -> Any:
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - ray is a pinned dependency
            raise GeoMagError("--engine ray needs the ray package (scripts/setup.sh)") from exc
        if not ray.is_initialized():
            env = {k: v for k, v in os.environ.items() if k.startswith(("GEOMAG_", "HF_"))}
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
                "runtime_env": {"env_vars": env},
            }
            if self.address:
                options["address"] = self.address
            else:  # a new cluster of our own, never one another driver or `ray start` left
                options["address"] = "local"
                options["num_cpus"] = self.cpus or os.cpu_count() or 1
                options["object_store_memory"] = 256 * 1024 * 1024
            try:
                ray.init(**options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "a local cluster"
                raise GeoMagError(f"cannot start Ray on {where}: {one_line(exc)}") from exc
        return ray

    def run(self, tasks: Sequence[SceneTask], report: Report) -> list[SceneOutcome]:
        """Answer ``tasks`` on the actors; returns every outcome (in arrival order)."""
        import ray as ray_module

        owns_cluster = not ray_module.is_initialized() and not self.address
        # a cluster of our own is stopped however the driver ends: SIGTERM runs the shutdown
        # below, and a reaper in its own session stops Ray's helpers after a SIGKILL
        reaper = start_reaper() if owns_cluster else None
        with _sigterm_exits() if owns_cluster else contextlib.nullcontext():
            try:
                ray = self._start()
                return self._run(ray, tasks, report)
            finally:
                if owns_cluster:
                    ray_module.shutdown()
                if reaper is not None:
                    reaper.terminate()
                    os.environ.pop(TOKEN_ENV, None)

    def _run(self, ray: Any, tasks: Sequence[SceneTask], report: Report) -> list[SceneOutcome]:
        total_cpus = int(ray.cluster_resources().get("CPU", 1))
        per_actor = max(1, total_cpus // self.workers)
        actor_class = ray.remote(num_cpus=per_actor, max_restarts=0)(SceneAnswerer)
        created = 0

        def new_actors(n: int) -> list[tuple[str, Any]]:
            """``n`` actors, loading their models in parallel; waits until all have."""
            nonlocal created
            made = []
            for _ in range(n):
                created += 1
                name = f"geomag-batch-{os.getpid()}-{created}"
                handle = actor_class.options(name=name).remote(
                    self.settings, self.question, threads=per_actor
                )
                made.append((name, handle))
            try:
                pids = ray.get([handle.pid.remote() for _, handle in made])
            except ray.exceptions.RayError as exc:
                raise GeoMagError(f"Ray workers could not start: {one_line(exc)}") from exc
            self.pids.update({name: pid for (name, _), pid in zip(made, pids, strict=True)})
            return made

        queue: deque[tuple[SceneTask, int]] = deque((t, 1) for t in tasks)
        idle = new_actors(min(self.workers, len(tasks)))
        running: dict[Any, tuple[str, Any, SceneTask, int]] = {}
        outcomes: list[SceneOutcome] = []
        outcome: SceneOutcome
        deaths = 0
        while queue or running:
            if queue and not idle and not running:  # every worker died too often
                while queue:
                    task, attempt = queue.popleft()
                    outcome = _failed(task, attempt, "no worker left: too many died")
                    outcomes.append(outcome)
                    report(outcome)
                break
            while idle and queue:
                name, handle = idle.pop()
                task, attempt = queue.popleft()
                running[handle.answer.remote(task, attempt)] = (name, handle, task, attempt)
            done, _ = ray.wait(list(running), num_returns=1)
            name, handle, task, attempt = running.pop(done[0])
            try:
                outcome = ray.get(done[0])
            except ray.exceptions.RayActorError as exc:
                # The worker died under this scene: another actor retries it.
                deaths += 1
                self.pids.pop(name, None)
                ray.kill(handle, no_restart=True)
                if attempt < self.max_attempts:
                    queue.appendleft((task, attempt + 1))
                else:
                    why = f"its worker died {attempt} times ({one_line(exc)})"
                    outcome = _failed(task, attempt, why)
                    outcomes.append(outcome)
                    report(outcome)
                if queue and deaths <= self.max_attempts * self.workers:
                    time.sleep(0.1)  # let the cluster see the dead worker's CPUs free
                    idle += new_actors(1)
                continue
            outcomes.append(outcome)
            report(outcome)
            idle.append((name, handle))
        return outcomes


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM ends the batch as Ctrl-C does (``finally`` blocks run), in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


#: How long a cluster address has to answer before the batch gives up on it.
ADDRESS_DEADLINE_S = 10.0
#: An HTTP/2 client preface and an empty SETTINGS frame: what a gRPC client says first.
_H2_HELLO = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def _check_answers(address: str, deadline_s: float = ADDRESS_DEADLINE_S) -> None:
    """Refuse, within ``deadline_s``, a ``HOST:PORT`` where no Ray head (a gRPC server) answers.

    Ray itself retries an address that refuses or never answers for minutes. A Ray head's GCS
    speaks gRPC, so it answers an HTTP/2 greeting with a SETTINGS frame at once; a closed port,
    a host that drops packets or a server that accepts and stays silent does not. ``auto``
    (the cluster this node belongs to) and ``ray://`` client addresses are left to Ray.
    """
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or address == "auto" or "://" in address:
        return
    why = f"no Ray cluster answers at {address} within {deadline_s:g} s"
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=deadline_s) as conn:
            conn.settimeout(deadline_s)
            conn.sendall(_H2_HELLO)
            head = conn.recv(9)
    except TimeoutError as exc:
        raise GeoMagError(f"{why} (it did not respond); check --address") from exc
    except OSError as exc:
        raise GeoMagError(f"{why} ({exc.strerror or one_line(exc)}); check --address") from exc
    if len(head) < 9 or head[3] != 0x04:  # not an HTTP/2 SETTINGS frame: not gRPC
        raise GeoMagError(f"{why} (something else listens there); check --address")


def _failed(task: SceneTask, attempts: int, why: str) -> SceneOutcome:
    return SceneOutcome(
        path=task.path,
        sha256=task.sha256,
        request_id=task.request_id,
        status="failed",
        error=why,
        attempts=attempts,
    )
