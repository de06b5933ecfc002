import type { SubgraphConfig } from '@tessera/subgraph-kit';
import type { ReviewsDb } from './db.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every reviews resolver receives. */
export interface Context {
  db: ReviewsDb;
  loaders: Loaders;
  maxPageSize: number;
}

/** A fresh context per request (fresh loaders: no stale rows, no cross-request leaks). */
export function createContext(db: ReviewsDb, config: Pick<SubgraphConfig, 'maxPageSize' | 'loaders'>): Context {
  return { db, loaders: createLoaders(db, config.loaders), maxPageSize: config.maxPageSize };
}
