/** Automatic persisted queries (Apollo's protocol) and trusted documents from a published manifest, on Redis. */
export { createPersistedQueries, type PersistedQueriesFeature, type PersistedQueriesOptions } from './persisted-queries.js';
export { PERSISTED_QUERIES_DEFAULTS, type PersistedQueriesSettings } from './settings.js';
export { createApqCache, type ApqCacheOptions } from './apq-cache.js';
export { createManifestStore, publishManifest, type ManifestStore } from './manifest-store.js';
export { parseManifest, sha256, type PersistedQueryManifest } from './manifest.js';
export { createTrustedDocuments, type TrustedDocuments, type TrustedDocumentsOptions } from './trusted-documents.js';
export { createDeveloperKeyCheck, DEVELOPER_KEY_HEADER, type DeveloperKeyCheck } from './developer-key.js';
