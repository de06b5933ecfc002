import { createRowLoader, UUID_KEYS, type BatchOptions } from '@tessera/subgraph-kit';
import type { UsersDb } from './db.js';

/** Per-request loaders of the users subgraph. Create one set per request, never share. */
export function createLoaders(db: UsersDb, batching: BatchOptions = {}) {
  return {
    /** Users by id: one `WHERE id IN (...)` per batch, e.g. per `_entities` call. */
    userById: createRowLoader(
      (ids) => db.user.findMany({ where: { id: { in: ids } } }),
      (user) => user.id,
      {
        name: 'userById',
        ...batching,
        ...UUID_KEYS,
      },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
