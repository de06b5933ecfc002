/**
 * @tessera/gateway: the Apollo Gateway server and what the CLIs and tests use of it —
 * configuration, error codes, composition and the cost model.
 */
export { loadConfig, GATEWAY_VARIABLES, type GatewayConfig } from './config.js';
export { createGatewayServer } from './server.js';
export { GatewayErrorCode } from './errors.js';
export { composeSupergraph, CompositionError, loadSupergraphConfig, apiSchemaOf, type SubgraphSource } from './supergraph/index.js';
export { estimateCost, readCostDirectives, measureOperation, type CostDirectives } from './cost/index.js';
export { publishManifest } from './plugins/persisted-queries/index.js';
