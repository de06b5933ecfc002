-- The role the services use through PgBouncer, run once per PostgreSQL cluster by the role that
-- owns the databases and runs the migrations:
--   psql -v app_role=tessera_app -v app_password=… -f deploy/postgres/app-role.sql
-- PgBouncer in transaction mode cannot pass the services' statement_timeout startup parameter
-- (so they run with DATABASE_STATEMENT_TIMEOUT_MS=0): the role carries the timeout instead.
-- Migrations connect as the owner, without it.
CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password';
ALTER ROLE :"app_role" SET statement_timeout = '5s';
