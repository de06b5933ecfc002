#!/usr/bin/env bash
# A PostgreSQL server of one test's own, for tests that stop and start it (the shared one of
# TEST_POSTGRES_URL serves every other test file at the same time).
#   postgres.sh start            creates and starts one under a new /tmp directory; prints
#                                TEST_POSTGRES_URL=… and TEST_POSTGRES_DIR=…
#   postgres.sh stop DIR         stops it (fast shutdown: connections are cut, as in an outage)
#   postgres.sh resume DIR       starts it again, same data, same port
#   postgres.sh destroy DIR      stops it and removes DIR
set -euo pipefail
source "$(dirname "$0")/lib.sh"

pg() { ts_as_pg_user "$(ts_pg_bindir)/pg_ctl" --pgdata="$1/postgres/data" "${@:2}"; }

case ${1:-} in
  start)
    dir=$(mktemp -d /tmp/tessera-own-postgres.XXXXXX)
    chmod 755 "$dir"
    TEST_SERVICES_PG_PORT=${TEST_SERVICES_PG_PORT:-27432} ts_start_postgres "$dir" 2>/dev/null
    cat "$dir/env"
    echo "TEST_POSTGRES_DIR=$dir"
    ;;
  stop) pg "$2" --mode=fast --wait --timeout=30 stop >/dev/null ;;
  resume) pg "$2" --log="$2/postgres/postgres.log" --wait --timeout=60 start >/dev/null ;;
  destroy)
    ts_stop_postgres "$2"
    rm -rf "$2"
    ;;
  *) ts_die "usage: postgres.sh start | stop DIR | resume DIR | destroy DIR" ;;
esac
