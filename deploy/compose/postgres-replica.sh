#!/bin/sh
# compose.yaml's streaming replica of `postgres`, which the subgraphs read from
# (<NAME>_DATABASE_REPLICA_URLS, docs/replicas.md). Runs as the postgres user, on the same image
# as the primary. First start: a copy of the primary by pg_basebackup -R (standby.signal and
# primary_conninfo written), retried until the primary takes the replication role's connection
# (podman-compose 1.0 starts it without waiting for a healthy primary). Every start: the server,
# read-only, on all interfaces; PGPASSWORD stays set for its WAL receiver's connection.
set -eu
export PGPASSWORD="${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_basebackup --host=postgres --username=tessera_replication --pgdata="$PGDATA" \
    --write-recovery-conf --wal-method=stream --checkpoint=fast; do
    echo "replica: waiting for the primary" >&2
    rm -rf "${PGDATA:?}"/*
    sleep 2
  done
fi
chmod 700 "$PGDATA"
# Feedback keeps the primary from vacuuming rows a long read on the replica still needs.
exec postgres -c listen_addresses='*' -c hot_standby_feedback=on
