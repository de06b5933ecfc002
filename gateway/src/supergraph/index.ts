export { createSupergraph, type Supergraph, type SupergraphOptions, type SupergraphState } from './supergraph.js';
export { createSupergraphSource, type SupergraphSourceOptions } from './source.js';
export {
  composeSupergraph,
  composeSubgraphs,
  readSubgraphSchemas,
  CompositionError,
  type CompositionOutcome,
  type CompositionProblem,
  type SubgraphSchema,
} from './compose.js';
export { loadSupergraphConfig, type SubgraphSource } from './config.js';
export { readJoinGraphs } from './join-graphs.js';
export { apiSchemaOf } from './api-schema.js';
