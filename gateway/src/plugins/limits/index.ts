export { createOperationLimits, type OperationLimitsOptions, type OperationLimitsFeature, type CostContext } from './plugin.js';
