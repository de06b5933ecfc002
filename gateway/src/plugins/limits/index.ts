export { createOperationLimitsPlugin, type OperationLimitsOptions, type CostContext } from './plugin.js';
export { readCostDirectives, type CostDirectives, type ListSize } from './cost-directives.js';
export { estimateCost, costRelevantVariables, type CostModelOptions } from './estimate-cost.js';
export { measureOperation, type OperationShape } from './measure.js';
export { checkShape, type OperationLimits } from './check-limits.js';
