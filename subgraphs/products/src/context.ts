import type { SubgraphConfig } from '@tessera/subgraph-kit';
import type { ProductsDb } from './db.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every products resolver receives. */
export interface Context {
  db: ProductsDb;
  loaders: Loaders;
  maxPageSize: number;
}

/** A fresh context per request (fresh loaders: no stale rows, no cross-request leaks). */
export function createContext(db: ProductsDb, config: Pick<SubgraphConfig, 'maxPageSize' | 'loaders'>): Context {
  return { db, loaders: createLoaders(db, config.loaders), maxPageSize: config.maxPageSize };
}
