export { parseManifest, sha256, type PersistedQueryManifest } from './manifest.js';
