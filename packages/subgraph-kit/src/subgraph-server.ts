import type { BaseContext } from '@apollo/server';
import {
  createHttpServer,
  createRedisNonceStore,
  type HttpServer,
  type Logger,
  type ReadinessCheck,
  type RedisClient,
} from '@tessera/service-kit';
import type { Registry } from 'prom-client';
import { createSubgraphApollo, subgraphFormatError, subgraphSchema } from './apollo.js';
import { createInvalidator } from './cache-invalidation.js';
import type { SubgraphConfig } from './config.js';
import type { ClosableClient, SubgraphDefinition } from './definition.js';
import type { EventsRuntime } from './events/runtime.js';
import { createGatewayGuard } from './gateway-signature.js';
import { createOperationGuard } from './request-guards.js';
import { createRequestScopes, requestInputOf, type RequestInput } from './request-scope.js';
import { createReadRouting, createReadsPlugin, type RequestReads } from './replicas/reads.js';
import type { ReplicaMonitor } from './replicas/monitor.js';
import { createSubscriptionStreams } from './subscriptions/stream-handler.js';

/** What a subgraph's HTTP server is built from (all of it made once, at start-up). */
export interface SubgraphServerOptions<Client> {
  client: Client;
  config: SubgraphConfig;
  logger: Logger;
  registry: Registry;
  readiness: ReadinessCheck;
  /** The Redis replicas share: signature nonces, cache generations. */
  redis?: RedisClient;
  /** The process's events, when the subgraph declares them: its writes record events, and subscriptions are served. */
  events?: EventsRuntime;
  /** The primary's current WAL position (PostgreSQL): where a write committed, for read-your-writes and cache fills. */
  currentLsn?: () => Promise<bigint>;
  /** Streaming replicas' clients and their monitor: reads go there when they may. */
  replicas?: { clients: readonly Client[]; monitor: ReplicaMonitor };
}

/**
 * A subgraph's HTTP server: behind the gateway's signature, Apollo Server answers queries and
 * mutations, and — for a subgraph with events — subscriptions are served as event streams
 * (`Accept: text/event-stream`), on the same schema, limits and error formatting.
 */
export function createSubgraphServer<Client extends ClosableClient, Context extends BaseContext>(
  definition: SubgraphDefinition<Client, Context>,
  { client, config, logger, registry, readiness, redis, events, currentLsn, replicas }: SubgraphServerOptions<Client>,
): HttpServer {
  const scopes = createRequestScopes({
    loaders: config.loaders,
    registry,
    invalidations: createInvalidator({ redis, keyPrefix: config.redis.keyPrefix, logger, registry, subgraph: definition.name, currentLsn }),
    ...(events && { events: (after?: number) => events.forRequest(after) }),
  });
  const readerFor = createReadRouting({ primary: client, replicas: replicas?.clients ?? [], monitor: replicas?.monitor });
  // Each context's reads, for the plugin that marks a mutation's once its operation is known.
  const readsOf = new WeakMap<object, RequestReads>();
  const context = (input: RequestInput, { onPrimary = false } = {}) => {
    const reads: RequestReads = { writes: onPrimary, ...(input.readPosition !== undefined && { required: input.readPosition }) };
    const value = definition.createContext(client, config, scopes(input), readerFor(reads));
    readsOf.set(value, reads);
    return value;
  };
  const schema = subgraphSchema(definition);
  // One namespace for every subgraph: a request signed for one is refused by the others too.
  const nonces = redis && createRedisNonceStore({ redis, keyPrefix: config.redis.keyPrefix, logger });
  return createHttpServer({
    apollo: createSubgraphApollo(definition, {
      logger,
      limits: config.limits,
      introspection: config.introspection,
      registry,
      schema,
      plugins: [createReadsPlugin<Context>(readsOf)],
    }),
    context: async (request, reply) => context(requestInputOf(request, reply)),
    logger,
    guards: [createGatewayGuard({ keys: config.signingKeys, logger, ...(nonces && { nonces }) })],
    readiness,
    concurrency: config.concurrency,
    registry,
    trustProxy: config.trustProxy,
    shutdownDelayMs: config.shutdownDelayMs,
    ...(events && {
      eventStreams: createSubscriptionStreams({
        schema,
        guard: createOperationGuard(config.limits),
        introspection: config.introspection,
        // Events read on the primary: the write that made an event is there, a replica may not
        // have replayed it yet (and a subscription outlives any one choice of replica).
        context: (input) => context(input, { onPrimary: true }),
        formatError: subgraphFormatError(logger, config.introspection),
        logger: logger.child({ component: 'subscriptions' }),
      }),
    }),
  });
}
