export { createProgressiveOverride, type ProgressiveOverrideOptions } from './override.js';
export { overrideLabelsOf, resolveLabels, bucketOf } from './labels.js';
