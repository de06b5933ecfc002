import type { Identity } from '@tessera/service-kit';
import {
  createEntityLookup,
  createIdempotentWrites,
  type EntityLookup,
  type CacheInvalidations,
  type IdempotentWrites,
  type RequestEvents,
  type SubgraphConfig,
  type SubgraphRequest,
} from '@tessera/subgraph-kit';
import type { ReviewsDb, ReviewsTx } from './db.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every reviews resolver receives. */
export interface Context {
  /** The primary's client: writes, and what a write reads. */
  db: ReviewsDb;
  /** What queries read through: a replica's client when one may serve this request, else the primary's (\`createContext\`'s \`reader\`). */
  reader: ReviewsDb;
  loaders: Loaders;
  maxPageSize: number;
  /** Who the request acts for, as the gateway forwarded it. */
  identity: Identity;
  /** The owners of the ids a review stores, asked whether those exist. */
  owners: { users: EntityLookup; products: EntityLookup };
  /** Mutations' writes, once per `Idempotency-Key`. */
  writes: IdempotentWrites<ReviewsTx>;
  /** What this request's writes changed, marked after each commits: the gateway's caches drop it. */
  invalidations: CacheInvalidations;
  /** Events its writes record in their transactions (`reviewAdded`), and its subscription's events. */
  events: RequestEvents;
}

/** Where the owning subgraphs are when `SUBGRAPH_USERS_URL` / `SUBGRAPH_PRODUCTS_URL` are unset: as in supergraph.yaml. */
const DEFAULT_OWNER_URLS = { users: 'http://localhost:4001/graphql', products: 'http://localhost:4002/graphql' };

/** A fresh context per request (fresh loaders: no stale rows, no cross-request leaks). */
export function createContext(
  db: ReviewsDb,
  config: Pick<SubgraphConfig, 'maxPageSize' | 'subgraphUrls' | 'signingKeys' | 'database'>,
  request: SubgraphRequest,
  reader: ReviewsDb = db,
): Context {
  const owner = (name: 'users' | 'products') =>
    createEntityLookup({ url: config.subgraphUrls[name] ?? DEFAULT_OWNER_URLS[name], keys: config.signingKeys, signal: request.signal });
  return {
    db,
    reader,
    loaders: createLoaders(reader, request.loaders),
    maxPageSize: config.maxPageSize,
    identity: request.identity,
    owners: { users: owner('users'), products: owner('products') },
    writes: createIdempotentWrites(db, request, config.database),
    invalidations: request.invalidations,
    events: request.events,
  };
}
