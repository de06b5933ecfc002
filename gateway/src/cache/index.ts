/**
 * The gateway's caches, their pure parts: the `@cacheControl` hints of a supergraph, the policy
 * of an operation or a subgraph fetch, the keys of entries and the tags they hang on.
 */
export { readCacheHints, NO_CACHE_HINTS, type CacheHint, type CacheHints } from './hints.js';
export { operationPolicy, undecidedFields, type CachePolicy, type PolicyOptions } from './policy.js';
export { collectionTags, entityEntry, entityTags, responseEntry, rootEntry, type EntryAddress } from './entries.js';
export { mergeEntities, splitEntities, type EntitySplit, type FetchResult } from './entity-fetch.js';
