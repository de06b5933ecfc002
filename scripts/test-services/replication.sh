#!/usr/bin/env bash
# A PostgreSQL primary and a streaming replica of one test's own (real replication: the replica
# is a pg_basebackup -R of the primary, streaming its WAL), for the tests that pause replay or
# stop either server.
#   replication.sh start                 creates and starts both under a new /tmp directory; prints
#                                        TEST_POSTGRES_PRIMARY_URL=…, TEST_POSTGRES_REPLICA_URL=…
#                                        and TEST_REPLICATION_DIR=…
#   replication.sh stop primary|replica DIR    stops that server (fast shutdown, as in an outage)
#   replication.sh resume primary|replica DIR  starts it again, same data, same port
#   replication.sh destroy DIR           stops both and removes DIR
set -euo pipefail
source "$(dirname "$0")/lib.sh"

pg_ctl_of() { ts_as_pg_user "$(ts_pg_bindir)/pg_ctl" --pgdata="$1/data" --log="$1/postgres.log" "${@:2}"; }
# ts_start_postgres keeps its server in <dir>/postgres: the primary's directory is that one.
server_dir() { [[ $1 == primary ]] && echo "$2/postgres" || echo "$2/replica"; }

start() {
  local dir port bindir replica
  dir=$(mktemp -d /tmp/tessera-replication.XXXXXX)
  chmod 755 "$dir"
  # WAL for a standby (minimal writes none), senders for it, and what a standby needs to serve reads.
  TS_PG_EXTRA_CONF=$'wal_level = replica\nmax_wal_senders = 10\nwal_keep_size = 256MB\nhot_standby = on' \
    TEST_SERVICES_PG_PORT=${TEST_SERVICES_PG_PORT:-28432} ts_start_postgres "$dir" 2>/dev/null
  port=$(sed -n 's#^TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:\([0-9]*\)/postgres$#\1#p' "$dir/env")
  bindir=$(ts_pg_bindir)
  replica=$dir/replica
  mkdir -p "$replica/run"
  ((EUID != 0)) || chown -R postgres: "$replica"
  # -R writes standby.signal and primary_conninfo: the copy starts as a streaming standby.
  ts_as_pg_user "$bindir/pg_basebackup" --host=127.0.0.1 --port="$port" --username=postgres \
    --pgdata="$replica/data" --write-recovery-conf --wal-method=stream --checkpoint=fast >"$replica/basebackup.log" 2>&1 ||
    { cat "$replica/basebackup.log" >&2; ts_die "pg_basebackup failed"; }
  local replica_port
  replica_port=$(ts_pick_port "$((port + 1))")
  cat >>"$replica/data/postgresql.conf" <<CONF
port = $replica_port
unix_socket_directories = '$replica/run'
hot_standby_feedback = on
CONF
  pg_ctl_of "$replica" --wait --timeout=60 start >/dev/null ||
    { cat "$replica/postgres.log" >&2; ts_die "the replica did not start"; }
  echo "TEST_POSTGRES_PRIMARY_URL=postgres://postgres@127.0.0.1:$port/postgres"
  echo "TEST_POSTGRES_REPLICA_URL=postgres://postgres@127.0.0.1:$replica_port/postgres"
  echo "TEST_REPLICATION_DIR=$dir"
}

case ${1:-} in
  start) start ;;
  stop) pg_ctl_of "$(server_dir "$2" "$3")" --mode=fast --wait --timeout=30 stop >/dev/null ;;
  resume) pg_ctl_of "$(server_dir "$2" "$3")" --wait --timeout=60 start >/dev/null ;;
  destroy)
    pg_ctl_of "$2/replica" --mode=immediate --wait --timeout=30 stop >/dev/null 2>&1 || true
    ts_stop_postgres "$2"
    rm -rf "$2"
    ;;
  *) ts_die "usage: replication.sh start | stop primary|replica DIR | resume primary|replica DIR | destroy DIR" ;;
esac
