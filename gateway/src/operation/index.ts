export { resolveOperation, type ResolvedOperation } from './resolve.js';
export { deduplicateExecution, type ExecutingGateway } from './deduplicate.js';
