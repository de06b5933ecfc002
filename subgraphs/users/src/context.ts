import type { Identity } from '@tessera/service-kit';
import {
  createIdempotentWrites,
  type CacheInvalidations,
  type IdempotentWrites,
  type SubgraphConfig,
  type SubgraphRequest,
} from '@tessera/subgraph-kit';
import type { UsersDb, UsersTx } from './db.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every users resolver receives. */
export interface Context {
  /** The primary's client: writes, and what a write reads. */
  db: UsersDb;
  /** What queries read through: a replica's client when one may serve this request, else the primary's (\`createContext\`'s \`reader\`). */
  reader: UsersDb;
  loaders: Loaders;
  maxPageSize: number;
  /** Who the request acts for, as the gateway forwarded it. */
  identity: Identity;
  /** Mutations' writes, once per `Idempotency-Key`. */
  writes: IdempotentWrites<UsersTx>;
  /** What this request's writes changed, marked after each commits: the gateway's caches drop it. */
  invalidations: CacheInvalidations;
}

/** A fresh context per request (fresh loaders: no stale rows, no cross-request leaks). */
export function createContext(
  db: UsersDb,
  config: Pick<SubgraphConfig, 'maxPageSize' | 'database'>,
  request: SubgraphRequest,
  reader: UsersDb = db,
): Context {
  return {
    db,
    reader,
    loaders: createLoaders(reader, request.loaders),
    maxPageSize: config.maxPageSize,
    identity: request.identity,
    writes: createIdempotentWrites(db, request, config.database),
    invalidations: request.invalidations,
  };
}
