import { createRowLoader, isUuid } from '@tessera/service-kit';
import type { ProductsDb } from './db.js';

/** Options of {@link createLoaders}. */
export interface LoaderOptions {
  /** Largest `IN (...)` list per statement. @default 500 */
  maxBatchSize?: number;
}

/** Per-request loaders of the products subgraph. Create one set per request, never share. */
export function createLoaders(db: ProductsDb, { maxBatchSize = 500 }: LoaderOptions = {}) {
  return {
    /** Products by id: one `WHERE id IN (...)` per batch. */
    productById: createRowLoader((ids) => db.product.findMany({ where: { id: { in: ids } } }), (p) => p.id, {
      maxBatchSize,
      isValidKey: isUuid,
    }),
    /** Products by SKU, for `@key(fields: "sku")` references. */
    productBySku: createRowLoader((skus) => db.product.findMany({ where: { sku: { in: skus } } }), (p) => p.sku, {
      maxBatchSize,
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
