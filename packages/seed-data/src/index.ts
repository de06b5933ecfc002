export { seededId, seededCreatedAt, SEED_EPOCH_MS, SEED_STEP_MS, type SeedKind } from './ids.js';
export { fakerFor } from './random.js';
export { seedBatches, type SeedSizes } from './batches.js';
