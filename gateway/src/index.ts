export { loadConfig, type GatewayConfig } from './config.js';
export { createGatewayServer } from './server.js';
export { GatewayErrorCode } from './errors.js';
export { composeSupergraph, CompositionError } from './supergraph/compose.js';
export { loadSupergraphConfig, type SubgraphSource } from './supergraph/config.js';
export { apiSchemaOf } from './supergraph/api-schema.js';
export { estimateCost, readCostDirectives, measureOperation, type CostDirectives } from './plugins/limits/index.js';
