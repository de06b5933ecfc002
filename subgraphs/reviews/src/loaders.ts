import { createRowLoader, isUuid } from '@tessera/service-kit';
import type { ReviewsDb } from './db.js';

/** Options of {@link createLoaders}. */
export interface LoaderOptions {
  /** Largest `IN (...)` list per statement. @default 500 */
  maxBatchSize?: number;
}

/** Per-request loaders of the reviews subgraph. Create one set per request, never share. */
export function createLoaders(db: ReviewsDb, { maxBatchSize = 500 }: LoaderOptions = {}) {
  return {
    /** Reviews by id: one `WHERE id IN (...)` per batch. */
    reviewById: createRowLoader((ids) => db.review.findMany({ where: { id: { in: ids } } }), (r) => r.id, {
      maxBatchSize,
      isValidKey: isUuid,
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
