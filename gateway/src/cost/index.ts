/**
 * The gateway's cost model, pure and testable without a server: the shape of an operation
 * (depth, aliases, fields, introspection) and the limits on it, the cost directives of a
 * supergraph, the cost estimate, and the cache that spares repeated requests both.
 */
export { readCostDirectives, NO_COST_DIRECTIVES, type CostDirectives, type ListSize } from './directives.js';
export { estimateCost, costRelevantVariables, type CostModelOptions } from './estimate.js';
export { measureOperation, type OperationShape } from '@tessera/service-kit';
export { checkShape, type OperationLimits } from './shape-limits.js';
export { checkBeforeValidation, type DocumentLimits } from './before-validation.js';
export { createCostCache, type CostCache, type CostCacheOptions, type CostRequest } from './cache.js';
