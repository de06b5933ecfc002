#!/bin/sh
# First start of compose.yaml's PostgreSQL (docker-entrypoint-initdb.d): one database per
# subgraph owned by POSTGRES_USER (who runs the migrations), the services' own role, and the
# role the streaming replica (postgres-replica.sh) connects as, allowed from the network.
set -eu
psql="psql -v ON_ERROR_STOP=1 --username $POSTGRES_USER"
$psql --dbname "$POSTGRES_DB" -v app_role=tessera_app -v app_password="$APP_PASSWORD" -f /tessera/app-role.sql
for db in users products reviews; do
  $psql --dbname "$POSTGRES_DB" -c "CREATE DATABASE $db"
  $psql --dbname "$db" -v app_role=tessera_app -f /tessera/app-grants.sql
done
$psql --dbname "$POSTGRES_DB" -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE tessera_replication WITH REPLICATION LOGIN PASSWORD :'password';
SQL
# wal_level=replica and max_wal_senders=10 are PostgreSQL's defaults; the replication role's line:
echo "host replication tessera_replication all scram-sha-256" >>"$PGDATA/pg_hba.conf"
