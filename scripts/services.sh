#!/usr/bin/env bash
# A PostGIS server of the project's own on 127.0.0.1, for the database tests, the benchmark and
# local use. Idempotent: `start` on a running server only prints its URL.
#
#   scripts/services.sh [start]   initialise (first time), start, create the database; print the URL
#   scripts/services.sh url       print the URL (whether or not the server runs)
#   scripts/services.sh status    exit 0 when the server answers
#   scripts/services.sh stop      stop the server (the data dir stays; `start` reuses it)
#
# Environment: GEOMAG_PG_PORT (default 54329), GEOMAG_PG_DIR (default /tmp/geomag-postgis-<port>),
# GEOMAG_PG_DB (default geomag). Needs the apt packages postgis and postgresql-15-postgis-3
# (scripts/setup.sh installs them). As root the server runs as the `postgres` user, because
# initdb refuses root. Authentication is `trust` and the server listens on 127.0.0.1 only: it is
# a development and test server, tuned for speed (fsync off), never a place for data to keep.
set -euo pipefail

PORT="${GEOMAG_PG_PORT:-54329}"
DIR="${GEOMAG_PG_DIR:-/tmp/geomag-postgis-${PORT}}"
DB="${GEOMAG_PG_DB:-geomag}"
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/${DB}"

log() { printf '\033[1m[services]\033[0m %s\n' "$*" >&2; }

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
  done
  log "PostgreSQL is not installed: run scripts/setup.sh (apt: postgis postgresql-15-postgis-3)"
  exit 1
}

# Run a command as the server's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

psql_cmd() { PGOPTIONS="-c client_min_messages=warning" as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

running() { [ -f "$DIR/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; }

init_cluster() {
  log "initialising a PostgreSQL cluster in $DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
  chmod 700 "$DIR"
  as_owner "$BIN/initdb" -D "$DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >/dev/null
  cat >>"$DIR/postgresql.conf" <<EOF
# geomag: a local test/development server (scripts/services.sh)
listen_addresses = '127.0.0.1'
port = ${PORT}
unix_socket_directories = '${DIR}'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
max_connections = 50
EOF
}

start() {
  if running; then
    echo "$URL"
    return
  fi
  [ -f "$DIR/PG_VERSION" ] || init_cluster
  compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null || {
    log "the PostGIS extension is not installed: run scripts/setup.sh (apt: postgresql-15-postgis-3)"
    exit 1
  }
  log "starting PostgreSQL on 127.0.0.1:${PORT}"
  as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 start >/dev/null || {
    log "the server did not start; its log ($DIR/server.log) ends with:"
    tail -n 20 "$DIR/server.log" >&2 || true
    exit 1
  }
  if [ "$(psql_cmd -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '${DB}'")" != 1 ]; then
    psql_cmd -d postgres -c "CREATE DATABASE \"${DB}\""
  fi
  psql_cmd -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  echo "$URL"
}

stop() {
  if running; then
    log "stopping PostgreSQL on 127.0.0.1:${PORT}"
    as_owner "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null
  fi
}

BIN="$(pg_bin)"
case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) running ;;
  url) echo "$URL" ;;
  *)
    log "usage: $0 [start|stop|status|url]"
    exit 2
    ;;
esac
