export { createIdempotency, IDEMPOTENCY_KEY_HEADER, type IdempotencyFeature } from './idempotency.js';
export { createKeyClaims, type ClaimOutcome, type KeyClaims, type KeyClaimsOptions } from './key-claims.js';
