import { ApolloGateway, type GatewayConfig as ApolloGatewayConfig, type SupergraphSdlHook } from '@apollo/gateway';
import type { Logger, ReadinessCheck } from '@tessera/service-kit';
import type { GraphQLSchema } from 'graphql';
import { readJoinGraphs } from './join-graphs.js';
import { markSecurityEnforced } from './security.js';
import { createSupergraphSource, type SupergraphSourceOptions } from './source.js';

/** The supergraph being served; replaced whole on every update. What else a part needs of it (directives, hints) it reads itself. */
export interface SupergraphState {
  /** The composed supergraph SDL (with its `join__` and other directives). */
  sdl: string;
  /** The client-facing API schema. */
  apiSchema: GraphQLSchema;
  /** The subgraphs it routes to: name → routing URL as composed (before `SUBGRAPH_<NAME>_URL` overrides). */
  subgraphs: ReadonlyMap<string, string>;
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
  /** Calls `listener` with the supergraph being served (if one is) and every one loaded from now on; returns the unsubscribe function. */
  onUpdate(listener: (state: SupergraphState) => void): () => void;
  /** Rejects until a supergraph is loaded. */
  ready: ReadinessCheck;
}

/** Apollo Gateway on the configured source, telling its listeners of every supergraph it loads. */
export function createSupergraph({ source, buildService, logger }: SupergraphOptions): Supergraph {
  const gateway = new ApolloGateway({
    supergraphSdl: withEnforcedSecurity(createSupergraphSource(source, logger)),
    buildService,
    logger: logger.child({ component: 'apollo-gateway' }),
    // Plans carry `@defer` as DeferNodes: run as parts for a client that asks (features/defer), else in place.
    queryPlannerConfig: { incrementalDelivery: { enableDefer: true } },
  });
  let state: SupergraphState | undefined;
  const listeners = new Set<(state: SupergraphState) => void>();
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl: sdl, apiSchema }) => {
    state = { sdl, apiSchema, subgraphs: readJoinGraphs(sdl) };
    for (const listener of listeners) listener(state);
  });
  return {
    gateway,
    current: () => state,
    onUpdate(listener) {
      listeners.add(listener);
      if (state) listener(state);
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
