#!/usr/bin/env bash
# A throw-away PostgreSQL server for the store tests (Debian's packages, no download of our own).
#
#   scripts/test_postgres.sh start        start one; print its SQLAlchemy URL on stdout (all else on stderr)
#   scripts/test_postgres.sh stop         stop the one started last and delete its files
#   scripts/test_postgres.sh run CMD...   start, run CMD with VNMAP_TEST_PG_URL set, stop (even on failure);
#                                         also sets VNMAP_TEST_PG_REQUIRED=1, so a pytest run in which no
#                                         PostgreSQL test ran fails (tests/conftest.py)
#
# Installs `postgresql` with apt-get when no initdb is found (needs root, as on CI). The cluster
# lives in a temporary folder, listens on 127.0.0.1 on a free port and runs as the `postgres` user.
set -euo pipefail

STATE="${TMPDIR:-/tmp}/vnmap-test-pg.state"
PYTHON="${PYTHON:-python3}"

log() { echo "test_postgres: $*" >&2; }

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    if [ "$(id -u)" != 0 ]; then log "PostgreSQL is not installed; run as root or: sudo apt-get install -y postgresql"; exit 2; fi
    log "installing Debian's postgresql…"
    apt-get update -q >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

as_pg() {  # run a command as the postgres user when we are root (initdb refuses root)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin dir port url
  bin=$(pg_bin)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/vnmap-pg.XXXXXX")
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=50" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres vnmap_test
  printf '%s %s %s\n' "$bin" "$dir" "$port" >"$STATE"
  url="postgresql+psycopg://postgres@127.0.0.1:$port/vnmap_test"
  log "server on 127.0.0.1:$port in $dir"
  echo "$url"
}

stop() {
  [ -f "$STATE" ] || { log "nothing to stop"; return 0; }
  local bin dir port
  read -r bin dir port <"$STATE"
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
  rm -rf "$dir" "$STATE"
  log "stopped 127.0.0.1:$port"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  run)
    shift
    url=$(start)
    trap stop EXIT
    VNMAP_TEST_PG_URL="$url" VNMAP_TEST_PG_REQUIRED=1 "$@"
    ;;
  *) echo "usage: $0 [start|stop|run CMD...]" >&2; exit 2 ;;
esac
