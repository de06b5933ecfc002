export { resolveOperation, type ResolvedOperation } from './resolve.js';
