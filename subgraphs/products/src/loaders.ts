import { createRowLoader, UUID_KEYS, type BatchOptions } from '@tessera/subgraph-kit';
import type { ProductsDb } from './db.js';

/** Per-request loaders of the products subgraph. Create one set per request, never share. */
export function createLoaders(db: ProductsDb, batching: BatchOptions = {}) {
  return {
    /** Products by id: one `WHERE id IN (...)` per batch. */
    productById: createRowLoader(
      (ids) => db.product.findMany({ where: { id: { in: ids } } }),
      (p) => p.id,
      {
        name: 'productById',
        ...batching,
        ...UUID_KEYS,
      },
    ),
    /** Products by SKU, for `@key(fields: "sku")` references. */
    productBySku: createRowLoader(
      (skus) => db.product.findMany({ where: { sku: { in: skus } } }),
      (p) => p.sku,
      {
        name: 'productBySku',
        ...batching,
      },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
