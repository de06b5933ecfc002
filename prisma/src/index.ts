/**
 * @tessera/prisma: the three subgraph databases (users, products, reviews) on PostgreSQL or
 * embedded PGlite, with Prisma migrations applied by the WASM schema engine (no native engine,
 * no network). Generated clients: `@tessera/prisma/users`, `/products`, `/reviews`.
 */
export { openDatabase } from './database.ts';
export type { Database, DatabaseOptions, PoolStats } from './types.ts';
export type { ReplicaDatabase, ReplayStatus } from './replica.ts';
export { formatLsn, parseLsn } from './lsn.ts';
export { DATABASE_NAMES, type DatabaseName } from './database-files.ts';
export { MigrationError, type MigrationErrorCode } from './errors.ts';
