export { createDeduplication } from './deduplication.js';
