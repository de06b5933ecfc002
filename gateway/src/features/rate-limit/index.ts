export {
  createRateLimit,
  RATE_LIMIT_DEFAULTS,
  type RateLimitFeature,
  type RateLimitOptions,
  type RateLimitSettings,
} from './rate-limit.js';
