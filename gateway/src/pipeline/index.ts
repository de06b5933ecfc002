/** How the gateway's features are put together: the request context, the feature value, their assembly into Apollo and HTTP. */
export type { GatewayContext } from './context.js';
export {
  isOperationFetch,
  type AdmissionStep,
  type EventResult,
  type GatewayFeature,
  type OperationFetch,
  type StreamRequest,
  type StreamStep,
  type SubgraphSource,
} from './feature.js';
export { assembleFeatures, type AssembledFeatures } from './assemble.js';
export {
  contextOf,
  withExecutionSteps,
  type ExecutingGateway,
  type ExecutionRequest,
  type ExecutionResult,
  type ExecutionStep,
} from './execution.js';
export { resolveOperation, type ResolvedOperation } from './resolve-operation.js';
export {
  isDeferred,
  isIncremental,
  withDeferral,
  withWholeAnswer,
  type Deferral,
  type DeferralBinding,
  type IncrementalResult,
  type RunPlanNode,
  type SubsequentResult,
  type WholeResult,
} from './incremental.js';
export { joinedExecution, markJoinedExecution } from './joined-executions.js';
export { readPositionOf, withReadPosition } from './read-positions.js';
