export { createCache, type Cache, type CacheOptions, type CacheSettings } from './cache.js';
export type { CacheContext, CacheModel } from './caching-data-source.js';
export type { ResponseCacheContext } from './response-cache.js';
