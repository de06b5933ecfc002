#!/bin/sh
# First start of compose.yaml's PostgreSQL (docker-entrypoint-initdb.d): one database per
# subgraph owned by POSTGRES_USER (who runs the migrations), and the services' own role.
set -eu
psql="psql -v ON_ERROR_STOP=1 --username $POSTGRES_USER"
$psql --dbname "$POSTGRES_DB" -v app_role=tessera_app -v app_password="$APP_PASSWORD" -f /tessera/app-role.sql
for db in users products reviews; do
  $psql --dbname "$POSTGRES_DB" -c "CREATE DATABASE $db"
  $psql --dbname "$db" -v app_role=tessera_app -f /tessera/app-grants.sql
done
