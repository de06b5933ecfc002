import type { Identity } from '@tessera/service-kit';
import {
  createIdempotentWrites,
  type CacheInvalidations,
  type IdempotentWrites,
  type RequestEvents,
  type SubgraphConfig,
  type SubgraphRequest,
} from '@tessera/subgraph-kit';
import type { ProductsDb, ProductsTx } from './db.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every products resolver receives. */
export interface Context {
  /** The primary's client: writes, and what a write reads. */
  db: ProductsDb;
  /** What queries read through: a replica's client when one may serve this request, else the primary's (\`createContext\`'s \`reader\`). */
  reader: ProductsDb;
  loaders: Loaders;
  maxPageSize: number;
  /** Who the request acts for, as the gateway forwarded it. */
  identity: Identity;
  /** Mutations' writes, once per `Idempotency-Key`. */
  writes: IdempotentWrites<ProductsTx>;
  /** What this request's writes changed, marked after each commits: the gateway's caches drop it. */
  invalidations: CacheInvalidations;
  /** Events its writes record in their transactions (`productUpdated`), and its subscription's events. */
  events: RequestEvents;
}

/** A fresh context per request (fresh loaders: no stale rows, no cross-request leaks). */
export function createContext(
  db: ProductsDb,
  config: Pick<SubgraphConfig, 'maxPageSize' | 'database'>,
  request: SubgraphRequest,
  reader: ProductsDb = db,
): Context {
  return {
    db,
    reader,
    loaders: createLoaders(reader, request.loaders),
    maxPageSize: config.maxPageSize,
    identity: request.identity,
    writes: createIdempotentWrites(db, request, config.database),
    invalidations: request.invalidations,
    events: request.events,
  };
}
