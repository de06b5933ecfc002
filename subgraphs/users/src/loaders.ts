import { createRowLoader, isUuid } from '@tessera/service-kit';
import type { UsersDb } from './db.js';

/** Options of {@link createLoaders}. */
export interface LoaderOptions {
  /** Largest `IN (...)` list per statement. @default 500 */
  maxBatchSize?: number;
}

/** Per-request loaders of the users subgraph. Create one set per request, never share. */
export function createLoaders(db: UsersDb, { maxBatchSize = 500 }: LoaderOptions = {}) {
  return {
    /** Users by id: one `WHERE id IN (...)` per batch, e.g. per `_entities` call. */
    userById: createRowLoader((ids) => db.user.findMany({ where: { id: { in: ids } } }), (user) => user.id, {
      maxBatchSize,
      isValidKey: isUuid,
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
