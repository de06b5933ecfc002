export { createErrorLimit, DEFAULT_MAX_RESPONSE_ERRORS, type ErrorLimitOptions } from './error-limit.js';
export { boundErrors, type BoundedErrors } from './bound-errors.js';
