import { ApolloGateway, type GatewayConfig as ApolloGatewayConfig, type SupergraphSdlHook } from '@apollo/gateway';
import type { Logger, ReadinessCheck } from '@tessera/service-kit';
import { NO_REQUIREMENTS, readAuthorizationRequirements, type AuthorizationRequirements } from '../authorization/index.js';
import { readCacheHints, type CacheHints } from '../cache/index.js';
import { NO_COST_DIRECTIVES, readCostDirectives, type CostDirectives } from '../cost/index.js';
import type { GraphQLSchema } from 'graphql';
import { readJoinGraphs } from './join-graphs.js';
import { markSecurityEnforced } from './security.js';
import { createSupergraphSource, type SupergraphSourceOptions } from './source.js';

/** The supergraph being served, as the other parts need it; replaced whole on every update. */
export interface SupergraphState {
  /** The composed supergraph SDL (with its `join__` and cost directives). */
  sdl: string;
  /** `@cost` and `@listSize` by type and field coordinate. */
  costDirectives: CostDirectives;
  /** `@authenticated` and `@requiresScopes` by type and field coordinate. */
  authorization: AuthorizationRequirements;
  /** The subgraphs it routes to: name → routing URL as composed (before `SUBGRAPH_<NAME>_URL` overrides). */
  subgraphs: ReadonlyMap<string, string>;
  /** What the caches decide by: the API schema and the `@cacheControl` hints. */
  cacheModel: { schema: GraphQLSchema; hints: CacheHints };
}

/** Options of {@link createSupergraph}. */
export interface SupergraphOptions {
  /** Where the supergraph comes from: a file, or live composition of the subgraph schemas. */
  source: SupergraphSourceOptions;
  /** Builds the data source that calls one subgraph (see `createSubgraphClients`). */
  buildService: NonNullable<ApolloGatewayConfig['buildService']>;
  logger: Logger;
}

/** The gateway's supergraph: Apollo Gateway loading and planning over it, and its current state. */
export interface Supergraph {
  /** Hand to Apollo Server's `gateway` option: it loads the supergraph and plans every query. */
  gateway: ApolloGateway;
  /** The supergraph being served, or undefined before the first load. */
  current(): SupergraphState | undefined;
  /** The cost directives of the supergraph being served (none before the first load). */
  costDirectives(): CostDirectives;
  /** The authorization directives of the supergraph being served (none before the first load: nothing is served then). */
  authorization(): AuthorizationRequirements;
  /** Calls `listener` with every supergraph loaded from now on; returns the unsubscribe function. */
  onUpdate(listener: (state: SupergraphState) => void): () => void;
  /** Rejects until a supergraph is loaded. */
  ready: ReadinessCheck;
}

/** Apollo Gateway on the configured source, with the state every other part reads from. */
export function createSupergraph({ source, buildService, logger }: SupergraphOptions): Supergraph {
  const gateway = new ApolloGateway({
    supergraphSdl: withEnforcedSecurity(createSupergraphSource(source, logger)),
    buildService,
    logger: logger.child({ component: 'apollo-gateway' }),
  });
  let state: SupergraphState | undefined;
  const listeners = new Set<(state: SupergraphState) => void>();
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl: sdl, apiSchema }) => {
    state = {
      sdl,
      costDirectives: readCostDirectives(sdl),
      authorization: readAuthorizationRequirements(sdl),
      subgraphs: readJoinGraphs(sdl),
      cacheModel: { schema: apiSchema, hints: readCacheHints(sdl) },
    };
    for (const listener of listeners) listener(state);
  });
  return {
    gateway,
    current: () => state,
    costDirectives: () => state?.costDirectives ?? NO_COST_DIRECTIVES,
    authorization: () => state?.authorization ?? NO_REQUIREMENTS,
    onUpdate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: async () => {
      if (!state) throw new Error('supergraph not loaded');
    },
  };
}

/** The source's supergraph, and every update of it, with the security Tessera enforces marked so (see `security.ts`). */
function withEnforcedSecurity(hook: SupergraphSdlHook): SupergraphSdlHook {
  return async (options) => {
    const loaded = await hook({ ...options, update: (sdl) => options.update(markSecurityEnforced(sdl)) });
    return { ...loaded, supergraphSdl: markSecurityEnforced(loaded.supergraphSdl) };
  };
}
