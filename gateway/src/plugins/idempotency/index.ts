export { createIdempotency, IDEMPOTENCY_KEY_HEADER, type IdempotencyContext, type IdempotencyFeature } from './idempotency.js';
