export { createDefer, acceptsParts, appliesDefer, DEFER_SPEC, type DeferOptions } from './defer.js';
