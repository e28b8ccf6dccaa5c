"""Where investigations (LangGraph threads) are checkpointed, so they survive a restart.

SQLite file ``<data_dir>/threads.sqlite`` by default; Postgres (the same server as the history)
when the database URL is PostGIS.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from sqlalchemy import make_url

from geomag_core.config import Settings

__all__ = ["open_checkpointer"]


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver[str]]:
    """A checkpointer for ``settings``' store, set up and closed around the ``with`` block."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "postgresql":
        from langgraph.checkpoint.postgres import PostgresSaver

        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with PostgresSaver.from_conn_string(conninfo) as postgres:
            postgres.setup()
            yield postgres
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(settings.data_dir / "threads.sqlite", check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()
