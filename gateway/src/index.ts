/**
 * @tessera/gateway: the Apollo Gateway server and what the CLIs, the schema checks and the tests
 * use of it — configuration, error codes, composition, the cost model and authorization's rules.
 */
export {
  loadConfig,
  loadLimitsConfig,
  loadRedisConfig,
  GATEWAY_VARIABLE_DEFAULTS,
  GATEWAY_VARIABLES,
  type GatewayConfig,
} from './config.js';
export { createGatewayServer, type GatewayInfrastructure } from './server.js';
export { GatewayErrorCode, SchemaCheckCode } from './errors.js';
export {
  composeSupergraph,
  composeSubgraphs,
  readSubgraphSchemas,
  CompositionError,
  loadSupergraphConfig,
  apiSchemaOf,
  type SubgraphSource,
} from './supergraph/index.js';
export { estimateCost, readCostDirectives, measureOperation, type CostDirectives, type CostModelOptions } from './features/limits/index.js';
export { readAuthorizationRequirements, type Requirement } from './features/authorization/index.js';
export { parseManifest, publishManifest, type PersistedQueryManifest } from './features/persisted-queries/index.js';
export { resolveOperation } from './pipeline/index.js';
