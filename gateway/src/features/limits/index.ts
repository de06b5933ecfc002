/**
 * Operation limits and cost analysis. Pure, testable without a server: the shape of an operation
 * (depth, aliases, fields, introspection) and the limits on it, the cost directives of a
 * supergraph, the cost estimate, and the cache that spares repeated requests both. Wired: the
 * document limits (a guard before Apollo parses) and the operation limits (an admission step).
 */
export { readCostDirectives, NO_COST_DIRECTIVES, type CostDirectives, type ListSize } from './directives.js';
export { estimateCost, costRelevantVariables, COST_MODEL_DEFAULTS, type CostModelOptions } from './estimate.js';
export { measureOperation, type OperationShape } from '@tessera/service-kit';
export { checkShape, SHAPE_LIMITS_DEFAULTS, type OperationLimits } from './shape-limits.js';
export { checkBeforeValidation, DOCUMENT_LIMITS_DEFAULTS, type DocumentLimits } from './before-validation.js';
export { createCostCache, type CostCache, type CostCacheOptions, type CostRequest } from './cost-cache.js';
export { createDocumentLimits, DEFAULT_MAX_TOKENS, type DocumentLimitsOptions } from './document-limits.js';
export {
  createOperationLimits,
  OPERATION_LIMITS_DEFAULTS,
  type OperationLimitsFeature,
  type OperationLimitsOptions,
  type OperationLimitsSettings,
} from './operation-limits.js';
