"""Where investigations (LangGraph threads) are checkpointed, so they survive a restart.

SQLite file ``<data_dir>/threads.sqlite`` by default; Postgres (the same server as the history)
when the database URL is PostGIS. Set-up is safe when several processes start at once: on
Postgres it runs under a session advisory lock; SQLite serialises it itself.
"""

from __future__ import annotations

import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from sqlalchemy import make_url

from agent.state import PastQuestion, QuestionState
from geomag_core.boxes import PixelBox
from geomag_core.budget import Budget, LookBudget
from geomag_core.config import Settings
from geomag_core.errors import ConfigError, DatabaseError
from geomag_core.findings import Finding
from geomag_core.psc.zoom import ZoomStep
from geomag_core.temporal import DateQuestion
from tools.capabilities import Measurement, Part, Refusal, Refused, Route
from tools.capabilities.change import ChangeFindings, DateRow, SubjectChange
from tools.capabilities.nano import ClassSearch, NanoFindings
from tools.capabilities.spectral import SpectralFindings, SpectralMeasure
from tools.capabilities.vlm import VLMFindings
from tools.investigation.plan import Aggregate, Condition, Filter, Near, Period, Plan, Rank

__all__ = [
    "CHECKPOINTED_TYPES",
    "SETUP_LOCK_KEY",
    "open_checkpointer",
    "prune_thread",
    "state_serializer",
]

#: Every type a thread's checkpoint holds (besides LangChain's messages, allowed by LangGraph).
CHECKPOINTED_TYPES: tuple[type, ...] = (
    QuestionState,
    PastQuestion,
    Route,
    Part,
    Refused,
    DateQuestion,
    ZoomStep,
    PixelBox,
    Budget,
    LookBudget,
    Finding,
    Measurement,
    Refusal,
    NanoFindings,
    ClassSearch,
    SpectralFindings,
    SpectralMeasure,
    VLMFindings,
    ChangeFindings,
    DateRow,
    SubjectChange,
    Plan,
    Filter,
    Condition,
    Near,
    Rank,
    Aggregate,
    Period,
)

#: The advisory-lock key every process takes around the Postgres checkpoint tables' set-up.
SETUP_LOCK_KEY = zlib.crc32(b"geomag-langgraph-checkpoint-setup")


def state_serializer() -> JsonPlusSerializer:
    """The checkpoints' serializer: LangGraph's, allowing exactly the types a thread keeps.

    The question state is typed (:mod:`agent.state`): its dataclasses are written with their
    module and name and rebuilt on load, so each must be allowed here (a test round-trips a
    full state through this serializer, and fails when a type is missing).
    """
    return JsonPlusSerializer(allowed_msgpack_modules=CHECKPOINTED_TYPES)


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver[str]]:
    """A checkpointer for ``settings``' store, set up and closed around the ``with`` block.

    Raises:
        ConfigError: the data dir is not a folder that can be written.
        DatabaseError: the thread store cannot be opened or is not a database.

    """
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "postgresql":
        with _postgres(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        ) as pg:
            yield pg
        return
    path = settings.data_dir / "threads.sqlite"
    _make_data_dir(settings)
    try:
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open the thread store {str(path)!r}: {exc}") from exc
    try:
        saver = SqliteSaver(conn, serde=state_serializer())
        try:
            saver.setup()
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(
                f"the thread store {str(path)!r} is not a usable SQLite database ({exc}); "
                "move it aside (investigations in it are lost) and run again"
            ) from exc
        yield saver
    finally:
        conn.close()


def prune_thread(saver: BaseCheckpointSaver[str] | None, thread_id: str) -> int:
    """Drop a thread's checkpoints but its latest, once its turn finished; how many went.

    LangGraph keeps a checkpoint per step of every turn, each with the whole state: the
    SQLite thread store grew ~4 MB a question (115 MB after ~30). A finished thread needs only
    its latest checkpoint — its history of questions lives in that state and its evidence in
    the history database — so the store grows with the number of threads, not of steps; freed
    pages are reused. Only the SQLite store is pruned (Postgres' checkpoint tables share blobs
    between checkpoints; they are left as LangGraph writes them).
    """
    if not isinstance(saver, SqliteSaver):
        return 0
    with saver.cursor() as cur:
        cur.execute(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' "
            "ORDER BY checkpoint_id DESC LIMIT 1",
            (thread_id,),
        )
        latest = cur.fetchone()
        if latest is None:
            return 0
        cur.execute(
            "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> ?",
            (thread_id, latest[0]),
        )
        dropped = cur.rowcount
        cur.execute(
            "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id <> ?", (thread_id, latest[0])
        )
    return int(dropped)


def _make_data_dir(settings: Settings) -> None:
    folder = settings.data_dir
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"GEOMAG_DATA_DIR {str(folder)!r} is a file, not a folder: point it at a folder"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create GEOMAG_DATA_DIR {str(folder)!r}: {exc.strerror or exc}"
        ) from exc


@contextmanager
def _postgres(conninfo: str) -> Iterator[BaseCheckpointSaver[str]]:
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver

    try:
        with PostgresSaver.from_conn_string(conninfo) as postgres:
            postgres.serde = state_serializer()
            _setup_locked(postgres, conninfo)
            yield postgres
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"cannot reach the checkpoint database: {exc}") from exc


def _setup_locked(postgres: Any, conninfo: str, wait_s: float = 120.0) -> None:
    """``postgres.setup()`` with every other process's set-up waiting on one advisory lock.

    LangGraph's migrations create tables and indexes with ``IF NOT EXISTS``, which is not safe
    when two sessions run it at the same moment (``UniqueViolation`` on the catalogue); one
    lock on a separate connection makes them take turns, and the later ones find nothing to do.
    The lock is *polled* (``pg_try_advisory_lock``), never waited for inside a statement: a
    session blocked in a statement holds a snapshot, and the migrations' ``CREATE INDEX
    CONCURRENTLY`` waits for every snapshot to end, so a blocking wait would deadlock.
    """
    import psycopg

    deadline = time.monotonic() + wait_s
    with psycopg.connect(conninfo, autocommit=True) as lock:
        while True:
            row = lock.execute("SELECT pg_try_advisory_lock(%s)", (SETUP_LOCK_KEY,)).fetchone()
            if row is not None and row[0]:
                break
            if time.monotonic() > deadline:
                raise DatabaseError(
                    f"the checkpoint tables' set-up waited {wait_s:g} s for another process; "
                    "is one stuck? Run again"
                )
            time.sleep(0.05)
        try:
            postgres.setup()
        finally:
            lock.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))
