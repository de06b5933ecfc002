export { createRateLimit, type RateLimitContext, type RateLimitOptions, type RateLimitSettings } from './rate-limit.js';
