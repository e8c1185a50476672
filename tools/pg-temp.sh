#!/usr/bin/env bash
# Starts/stops a throwaway PostgreSQL server on loopback for tests.
#   eval "$(tools/pg-temp.sh start)"   -> exports DATABASE_URL and COCOON_PG_DIR
#   tools/pg-temp.sh stop
# initdb refuses to run as root, so the cluster belongs to the postgres user.
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PORT=${PG_PORT:-54329}
STATE=/tmp/cocoon-pg-temp
case "${1:-}" in
  start)
    [ -n "$BIN" ] || { echo "pg-temp: PostgreSQL not installed (run tools/setup-system.sh)" >&2; exit 1; }
    if [ -f $STATE/dir ] && [ -d "$(cat $STATE/dir)" ]; then bash "$0" stop >/dev/null 2>&1 || true; fi
    mkdir -p $STATE
    D=$(mktemp -d /tmp/cocoon-pg-data.XXXX); S=$(mktemp -d /tmp/cocoon-pg-sock.XXXX)
    as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$D" "$S"
    chmod 700 "$D"
    as_pg "$BIN/initdb -D $D -U postgres --auth=trust -E UTF8" >/dev/null
    as_pg "$BIN/pg_ctl -D $D -l $S/pg.log -o '-p $PORT -k $S -c listen_addresses=127.0.0.1 -c fsync=off' -w start" >/dev/null
    echo "$D" > $STATE/dir; echo "$S" > $STATE/sock
    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
    echo "export COCOON_PG_DIR=$D"
    ;;
  stop)
    [ -f $STATE/dir ] || exit 0
    D=$(cat $STATE/dir)
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$BIN/pg_ctl -D $D -m fast stop" >/dev/null || true
    else "$BIN/pg_ctl" -D "$D" -m fast stop >/dev/null || true; fi
    rm -rf "$D" "$(cat $STATE/sock)" $STATE
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2;;
esac
