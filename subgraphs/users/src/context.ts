import type { Identity } from '@tessera/service-kit';
import type { SubgraphConfig } from '@tessera/subgraph-kit';
import type { UsersDb } from './db.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every users resolver receives. */
export interface Context {
  db: UsersDb;
  loaders: Loaders;
  maxPageSize: number;
  /** Who the request acts for, as the gateway forwarded it. */
  identity: Identity;
}

/** A fresh context per request (fresh loaders: no stale rows, no cross-request leaks). */
export function createContext(db: UsersDb, config: Pick<SubgraphConfig, 'maxPageSize' | 'loaders'>, identity: Identity): Context {
  return { db, loaders: createLoaders(db, config.loaders), maxPageSize: config.maxPageSize, identity };
}
