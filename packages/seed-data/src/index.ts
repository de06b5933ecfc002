export { seededId, seededCreatedAt, type SeedKind } from './ids.js';
export { fakerFor } from './random.js';
export { insertSeedRows, type SeedSizes } from './batches.js';
