/**
 * The gateway's caches. Pure: the `@cacheControl` hints of a supergraph, the policy of an
 * operation or a subgraph fetch, the keys of entries and the tags they hang on, splitting and
 * merging `_entities` fetches. Wired: the store in Redis, the caching data source, single
 * flight, whole responses and `Cache-Control` (`cache.ts`).
 */
export { createCache, CACHE_DEFAULTS, type CacheOptions, type CacheSettings } from './cache.js';
export type { CacheModel } from './caching-data-source.js';
export { readCacheHints, NO_CACHE_HINTS, type CacheHint, type CacheHints } from './hints.js';
export { operationPolicy, undecidedFields, type CachePolicy, type PolicyOptions } from './policy.js';
export { collectionTags, entityEntry, entityTags, responseEntry, rootEntry, type EntryAddress } from './entries.js';
export { mergeEntities, splitEntities, type EntitySplit, type FetchResult } from './entity-fetch.js';
