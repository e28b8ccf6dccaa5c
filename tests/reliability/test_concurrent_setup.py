"""Issue 15 case 5: eight processes setting up the Postgres checkpoint tables at once.

Before the fix one of eight crashed with ``UniqueViolation`` inside LangGraph's migrations; now
set-up runs under an advisory lock. Real processes, a fresh database on the PostGIS server.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from db.engine import create_db_engine
from tests.conftest import postgis_database

WORKERS = 8
# Each worker opens the checkpointer (which sets the tables up) once everyone is ready.
WORKER = """
import sys, time
from agent.checkpointer import open_checkpointer
from geomag_core.config import Settings
settings = Settings(database_url=sys.argv[1])
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
with open_checkpointer(settings) as saver:
    saver.get_tuple({"configurable": {"thread_id": "t", "checkpoint_ns": ""}})
print("ok")
"""


@pytest.mark.postgis
def test_eight_processes_set_up_the_checkpoint_tables_at_once() -> None:
    import time

    with postgis_database() as url:
        start = time.time() + 8.0  # after every interpreter has imported LangGraph
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, url, str(start)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(WORKERS)
        ]
        outcomes = [p.communicate(timeout=120) for p in procs]
        failed = [err for p, (_, err) in zip(procs, outcomes, strict=True) if p.returncode]
        assert not failed, failed[0]
        assert all(out.strip() == "ok" for out, _ in outcomes)
        engine = create_db_engine(url)
        try:
            with engine.connect() as connection:
                versions = connection.execute(
                    text("SELECT count(*), count(DISTINCT v) FROM checkpoint_migrations")
                ).one()
        finally:
            engine.dispose()
        assert versions[0] == versions[1] > 0  # each migration recorded once
