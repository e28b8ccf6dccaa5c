"""One engine factory for both stores: a SpatiaLite file (the default) or PostGIS (by URL).

SpatiaLite needs an ``sqlite3`` that can load extensions, which pyenv's Python lacks, so SQLite
URLs use ``pysqlite3`` (the ``pysqlite3-binary`` wheel). Every SQLite connection loads
``mod_spatialite`` (apt ``libsqlite3-mod-spatialite``; ``SPATIALITE_LIBRARY_PATH`` overrides the
name), initialises a new file with the WGS84 reference systems only (fast and small), and turns on
WAL, a busy timeout and foreign keys, so that several app sessions can write one file.

SQLite loads extensions with ``RTLD_GLOBAL``, so ``mod_spatialite`` puts the system's libproj,
libgeos, libsqlite3, libtiff, libcurl… in the process's global symbol scope. A wheel that bundles
its own copies (rasterio's and pyogrio's GDAL, pyproj, shapely) and loads *after* that would bind
some of its calls to the system copies and crash (seen: a segfault on the first raster read or
GeoPackage write). So the first SpatiaLite connection of a process first imports those native
stacks, which Python loads with ``RTLD_NOW``, binding them to their own libraries for good.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from pathlib import Path
from typing import Any

import pysqlite3.dbapi2 as pysqlite
from geoalchemy2.admin.dialects.sqlite import init_spatialite
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from geomag_core.config import Settings
from geomag_core.errors import DatabaseError

__all__ = ["create_db_engine", "database_url", "redacted", "session_factory"]

#: Extension modules that bundle GDAL, PROJ, GEOS or SQLite: loaded before SpatiaLite is.
NATIVE_GEO_MODULES = (
    "shapely",
    "pyproj",
    "pyproj.database",
    "pyproj.list",
    "pyproj.sync",
    "pyproj.transformer",
    "rasterio",
    "rasterio.features",
    "rasterio.warp",
    "pyogrio",
    "pyogrio.raw",
)

#: How long a SQLite writer waits for another one to finish before giving up.
BUSY_TIMEOUT_MS = 30_000


def database_url(settings: Settings | None = None) -> str:
    """The configured database URL (``GEOMAG_DATABASE_URL``, else the SpatiaLite default)."""
    return (settings or Settings()).effective_database_url


def redacted(url: str | URL) -> str:
    """``url`` with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def create_db_engine(url: str | URL | None = None, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (default: :func:`database_url`).

    ``sqlite:///<file>`` becomes a SpatiaLite database (the file and its folder are created on
    first use); ``postgresql://…`` uses psycopg 3 and needs the PostGIS extension, which the first
    migration creates when the role may (else ask an administrator to run
    ``CREATE EXTENSION postgis``).
    """
    try:
        parsed = make_url(url if url is not None else database_url())
    except ArgumentError as exc:
        raise DatabaseError(
            f"cannot parse database URL {redacted(str(url))!r}: write "
            "sqlite:///path/to/file.sqlite or postgresql://user@host:port/dbname "
            "(GEOMAG_DATABASE_URL)"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _spatialite_engine(parsed, echo=echo)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    raise DatabaseError(
        f"unsupported database {redacted(parsed)!r}: use a SpatiaLite file (sqlite:///…) or "
        "PostGIS (postgresql://…)"
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def _spatialite_engine(url: URL, *, echo: bool) -> Engine:
    if not url.database or url.database == ":memory:":
        raise DatabaseError(
            "an in-memory SQLite database cannot hold history: give a file, "
            "e.g. GEOMAG_DATABASE_URL=sqlite:////path/to/geomag.sqlite"
        )
    path = Path(url.database).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create the folder of database {str(path)!r} ({exc}); "
            "set GEOMAG_DATA_DIR or GEOMAG_DATABASE_URL to a writable place"
        ) from exc
    engine = create_engine(url.set(database=str(path)), module=pysqlite, echo=echo)
    event.listen(engine, "connect", _prepare_spatialite)
    return engine


def _prepare_spatialite(dbapi_connection: Any, _record: Any) -> None:
    """Load SpatiaLite, initialise a new file (WGS84 systems only) and set the pragmas."""
    library = os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    _bind_native_geo_stacks()
    try:
        dbapi_connection.enable_load_extension(True)
        dbapi_connection.load_extension(library)
        dbapi_connection.enable_load_extension(False)
    except pysqlite.OperationalError as exc:
        raise DatabaseError(
            f"cannot load the SpatiaLite extension {library!r} ({exc}); install it with "
            "`apt-get install libsqlite3-mod-spatialite` (scripts/setup.sh does) or point "
            "SPATIALITE_LIBRARY_PATH at mod_spatialite.so"
        ) from exc
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
    init_spatialite(dbapi_connection, transaction=True, init_mode="WGS84")


@cache
def _bind_native_geo_stacks() -> None:
    """Import the bundled GDAL/PROJ/GEOS stacks before SpatiaLite (see the module docstring)."""
    for name in NATIVE_GEO_MODULES:
        importlib.import_module(name)
