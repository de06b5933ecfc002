export { createRedisCache, type RedisCacheOptions } from './redis-cache.js';
export { parseManifest, sha256, type PersistedQueryManifest } from './manifest.js';
export { createManifestStore, publishManifest, MANIFEST_KEY, type ManifestStore } from './manifest-store.js';
export {
  createPersistedQueriesPlugin,
  PersistedQueryErrorCode,
  type PersistedQueriesOptions,
  type PersistedQueryContext,
} from './plugin.js';
export { createDeveloperKeyCheck, DEVELOPER_KEY_HEADER } from './developer-key.js';
