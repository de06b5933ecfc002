export { createRateLimit, type RateLimit, type RateLimitContext, type RateLimitOptions, type RateLimitSettings } from './rate-limit.js';
