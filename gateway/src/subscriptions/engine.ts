import type { GraphQLDataSource } from '@apollo/gateway';
import { callerPart, composeKey, ErrorCode, visibilityPart, type Logger } from '@tessera/service-kit';
import { GraphQLError, validate, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import { GatewayErrorCode } from '../errors.js';
import { operationPolicy, readCacheHints, type CacheHints } from '../features/cache/index.js';
import { contextOf, type EventResult, type ExecutionRequest, type GatewayContext, type StreamRequest } from '../pipeline/index.js';
import type { SupergraphState } from '../supergraph/index.js';
import type { EventStreamClient } from '../upstream/index.js';
import { admitSubscription, type SubscriptionAdmissionOptions } from './admission.js';
import { createSubscriberCounts, type SubscriptionLimits } from './counts.js';
import { SubscriptionGroup, type GroupDeps } from './group.js';
import { joinGroup, lastEvent, type FormatError, type Joining, type MemberStream } from './member.js';
import type { SubscriptionMetrics } from './metrics.js';
import { createSubscriptionPlanner, type ServiceMap, type SubscriptionPlanner } from './plan.js';

/** Options of {@link createSubscriptionEngine}. */
export interface SubscriptionEngineOptions extends Omit<SubscriptionAdmissionOptions, 'schema'> {
  client: EventStreamClient;
  /** A subgraph's data source, as the gateway's own (behind its caches); for the fetches of each event's `rest`. */
  buildService: (definition: { name: string; url: string }) => GraphQLDataSource;
  /** Where a subgraph is called: its override, else the supergraph's URL. */
  routingUrl: (name: string, supergraphUrl: string | undefined) => string;
  shapeEvent: (context: GatewayContext, result: EventResult) => EventResult;
  chargeEvent: (context: GatewayContext) => GraphQLError | undefined;
  /** Apollo Server's `formatError`: what a client may read of an error (unexpected ones masked and logged). */
  formatError: FormatError;
  limits: SubscriptionLimits;
  /** Longest the completion of one event may take (`REQUEST_TIMEOUT_MS`). */
  eventTimeoutMs: number;
  metrics: SubscriptionMetrics;
  logger: Logger;
}

/** What a client's subscription became. */
export type Subscribed =
  /** A query or a mutation: Apollo Server's pipeline answers it. */
  | { kind: 'operation' }
  | { kind: 'refused'; result: FormattedExecutionResult }
  /** The events, then (when the gateway ends it) one last result with the reason; how it ended; how to stop it. */
  | ({ kind: 'stream' } & MemberStream);

/** Options of one subscription. */
export interface SubscribeOptions {
  transport: 'ws' | 'sse';
  /** The id of the last event the client got: the subscription resumes after it. */
  lastEventId?: string;
  /** When the caller's token stops being accepted (epoch ms): the subscription ends with UNAUTHENTICATED then. */
  expiresAt?: number;
}

/** The gateway's subscriptions. */
export interface SubscriptionEngine {
  subscribe(request: StreamRequest, context: GatewayContext, options: SubscribeOptions): Promise<Subscribed>;
  /** Told of every supergraph: plans from now on are made on it; subscriptions whose document it no longer validates end. */
  onSupergraph(state: SupergraphState): void;
  /** Subscriptions being served, by transport. */
  active(): Record<string, number>;
  /** Ends every subscription (the gateway drains: its clients reconnect elsewhere and resume). */
  close(): void;
}

/**
 * Subscriptions through the federation: admitted as any operation is, planned by Apollo's query
 * planner, subscribed on the subgraph that owns the root field, and each event completed with the
 * other subgraphs' fields — once per group of subscribers that may share it, whatever their number.
 */
export function createSubscriptionEngine(options: SubscriptionEngineOptions): SubscriptionEngine {
  let current: Current | undefined;
  const groups = new Map<string, SubscriptionGroup>();
  const counts = createSubscriberCounts(options.limits);
  const refused = (error: GraphQLError) => refusedWith(error, options.formatError);
  const groupDeps = createGroupDeps(options, () => current);
  const membership = { ...options, maxQueuedEvents: options.limits.maxQueuedEvents, left: counts.release };

  const admitAndJoin = async (request: StreamRequest, context: GatewayContext, who: Who, lastEventId?: string): Promise<Subscribed> => {
    const admission = await admitSubscription(request, context, { ...options, schema: () => current?.planner.supergraph.apiSchema });
    if (admission.kind !== 'subscription') {
      return admission.kind === 'operation'
        ? admission
        : { kind: 'refused', result: { errors: admission.errors.map((e) => options.formatError(e.toJSON(), e)) } };
    }
    if (!current)
      return refused(new GraphQLError('The gateway has no supergraph loaded yet.', { extensions: { code: ErrorCode.ServiceOverloaded } }));
    const { execution } = admission.admitted;
    const key = shareKey(execution, current.hints, lastEventId);
    let group = groups.get(key);
    if (!group) {
      const plan = current.planner.plan(execution.document, execution.request.operationName ?? null);
      const started = new SubscriptionGroup(key, plan, execution, lastEventId, groupDeps);
      groups.set(key, started);
      void started.run().finally(() => groups.get(key) === started && groups.delete(key));
      group = started;
    }
    return { kind: 'stream', ...joinGroup(group, { ...who, context: contextOf(execution) }, membership) };
  };

  return {
    async subscribe(request, context, { transport, lastEventId, expiresAt }) {
      // Who is counted against maxPerCaller: the token's subject, else the client's address.
      const who = { transport, caller: context.identity.sub ?? `@${context.clientAddress ?? ''}`, expiresAt };
      // The place is taken before the first await, so subscriptions admitted at once cannot all pass the limit.
      const overLimit = counts.reserve(who);
      if (overLimit) {
        options.metrics.dropped.inc({ reason: 'limit' });
        return refused(overLimit);
      }
      const subscribed = await admitAndJoin(request, context, who, lastEventId).catch((error: unknown) => {
        options.logger.error({ err: error }, 'subscription could not start');
        return refused(new GraphQLError('The subscription could not start.', { originalError: error as Error }));
      });
      if (subscribed.kind !== 'stream') counts.release(who);
      return subscribed;
    },
    onSupergraph(state) {
      const planner = createSubscriptionPlanner(state);
      const services = Object.fromEntries([...state.subgraphs].map(([name, url]) => [name, options.buildService({ name, url })]));
      current = { planner, services, hints: readCacheHints(state.sdl) };
      endInvalidated(groups.values(), state, options.formatError);
    },
    active: () => counts.active(),
    close() {
      for (const group of [...groups.values()]) group.close();
    },
  };
}

/** What the engine serves from: the supergraph's planner, the subgraphs' data sources, the cache hints. */
interface Current {
  planner: SubscriptionPlanner;
  services: ServiceMap;
  hints: CacheHints;
}

/** What a group runs on, read from the supergraph being served at each use. */
function createGroupDeps(options: SubscriptionEngineOptions, current: () => Current | undefined): GroupDeps {
  return {
    client: options.client,
    url: (subgraph) => options.routingUrl(subgraph, current()?.planner.supergraph.subgraphs.get(subgraph)),
    services: () => current()?.services ?? {},
    shape: (result, execution) => shapeResult(result, execution, options),
    metrics: options.metrics,
    logger: options.logger,
    eventTimeoutMs: options.eventTimeoutMs,
  };
}

function refusedWith(error: GraphQLError, formatError: FormatError): Subscribed {
  return { kind: 'refused', result: { errors: [formatError(error.toJSON(), error)] } };
}

/** A subscriber, as the engine knows it before it joins a group. */
type Who = Omit<Joining, 'context'>;

/** An event's result as its subscribers see it: errors as `formatError` makes them, then the features' shaping. */
function shapeResult(
  result: ExecutionResult,
  execution: ExecutionRequest,
  { formatError, shapeEvent }: Pick<SubscriptionEngineOptions, 'formatError' | 'shapeEvent'>,
): FormattedExecutionResult {
  const formatted: FormattedExecutionResult = {
    ...(result.data !== undefined && { data: result.data }),
    ...(result.errors?.length && { errors: result.errors.map((error) => formatError(error.toJSON(), error)) }),
  };
  return shapeEvent(contextOf(execution), formatted);
}

/** Ends, with SUBSCRIPTION_SCHEMA_CHANGED, every group whose document the new supergraph no longer validates. */
function endInvalidated(groups: Iterable<SubscriptionGroup>, state: SupergraphState, formatError: FormatError): void {
  for (const group of [...groups]) {
    if (validate(state.apiSchema, group.document).length === 0) continue;
    const error = new GraphQLError('The supergraph changed: this subscription no longer validates against it.', {
      extensions: { code: GatewayErrorCode.SubscriptionSchemaChanged },
    });
    group.close({ kind: 'complete' }, lastEvent(error, formatError));
  }
}

/**
 * Which subscribers may share one subscription to the subgraph and one execution per event: the
 * same document as it runs (authorization's, for what the caller may see), operation, variables
 * and resume point; and the same caller — or, for an operation that reads nothing private, the same
 * visibility (signed in or not, the scopes).
 */
function shareKey(execution: ExecutionRequest, hints: CacheHints, lastEventId: string | undefined): string {
  const { identity } = contextOf(execution);
  const policy = operationPolicy(execution.schema, hints, execution.document, execution.request.operationName);
  const who = policy.scope === 'PUBLIC' ? visibilityPart(identity) : callerPart(identity);
  return composeKey([
    execution.queryHash,
    execution.request.operationName ?? null,
    execution.request.variables ?? {},
    who,
    lastEventId ?? null,
  ]);
}
