export { createErrorLimitPlugin, type ErrorLimitOptions } from './plugin.js';
export { boundErrors, type BoundedErrors } from './bound-errors.js';
