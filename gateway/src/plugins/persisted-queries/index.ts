export { createPersistedQueries, type PersistedQueries, type PersistedQueriesOptions } from './persisted-queries.js';
export { createApqCache, type ApqCacheOptions } from './apq-cache.js';
export { createManifestStore, publishManifest, type ManifestStore } from './manifest-store.js';
export {
  createPersistedQueriesPlugin,
  createTrustedDocumentsStep,
  type PersistedQueryContext,
  type TrustedDocumentsOptions,
} from './plugin.js';
export { createDeveloperKeyCheck, DEVELOPER_KEY_HEADER, type DeveloperKeyCheck } from './developer-key.js';
