export { createReadYourWrites, READ_YOUR_WRITES_DEFAULTS, type ReadYourWritesOptions } from './read-your-writes.js';
