import type { GraphQLDataSource } from '@apollo/gateway';
import { callerPart, composeKey, ErrorCode, visibilityPart, type Logger } from '@tessera/service-kit';
import { GraphQLError, validate, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { GatewayErrorCode } from '../errors.js';
import { operationPolicy, readCacheHints, type CacheHints } from '../features/cache/index.js';
import { contextOf, type EventResult, type ExecutionRequest, type GatewayContext, type StreamRequest } from '../pipeline/index.js';
import type { SupergraphState } from '../supergraph/index.js';
import type { EventStreamClient } from '../upstream/index.js';
import { admitSubscription, type SubscriptionAdmissionOptions } from './admission.js';
import { createChannel, type ChannelEnd } from './channel.js';
import { SubscriptionGroup, type Member, type SubscriptionEvent } from './group.js';
import type { SubscriptionMetrics } from './metrics.js';
import { createSubscriptionPlanner, type ServiceMap, type SubscriptionPlanner } from './plan.js';

/** How many subscriptions the gateway serves, and how far a subscriber may fall behind. */
export interface SubscriptionLimits {
  /** Subscriptions one caller (token subject, else client address) may have open at once. @default 100 */
  maxPerCaller: number;
  /** Subscriptions this gateway process serves at once. @default 20_000 */
  maxTotal: number;
  /** Events waiting for one subscriber before it is cut off as too slow. @default 1_000 */
  maxQueuedEvents: number;
}

/** Every default of the subscription limits, written once. */
export const SUBSCRIPTION_LIMITS_DEFAULTS: SubscriptionLimits = { maxPerCaller: 100, maxTotal: 20_000, maxQueuedEvents: 1_000 };

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
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
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
  | {
      kind: 'stream';
      /** The events, then (when the gateway ends it) one last result with the reason. */
      events: AsyncIterable<SubscriptionEvent>;
      /** How it ended: complete, or cut off for falling behind (`overflow`). */
      ended: Promise<ChannelEnd>;
      /** The client is gone: stop. */
      cancel(): void;
    };

/** A subscriber, as the limits count it: its transport, the caller, and when its token expires. */
interface Who {
  transport: string;
  caller: string;
  expiresAt?: number;
}

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
  let current: { planner: SubscriptionPlanner; services: ServiceMap; hints: CacheHints } | undefined;
  const groups = new Map<string, SubscriptionGroup>();
  const perCaller = new Map<string, number>();
  const perTransport: Record<string, number> = { ws: 0, sse: 0 };
  const shape = (result: ExecutionResult, execution: ExecutionRequest): FormattedExecutionResult => {
    const formatted: FormattedExecutionResult = {
      ...(result.data !== undefined && { data: result.data }),
      ...(result.errors?.length && { errors: result.errors.map((error) => options.formatError(error.toJSON(), error)) }),
    };
    return options.shapeEvent(contextOf(execution), formatted);
  };
  const deps = {
    client: options.client,
    url: (subgraph: string) => options.routingUrl(subgraph, current?.planner.supergraph.subgraphs.get(subgraph)),
    services: () => current?.services ?? {},
    shape,
    metrics: options.metrics,
    logger: options.logger,
    eventTimeoutMs: options.eventTimeoutMs,
  };

  const subscribe = async (
    request: StreamRequest,
    context: GatewayContext,
    { transport, lastEventId, expiresAt }: SubscribeOptions,
  ): Promise<Subscribed> => {
    // Who is counted against maxPerCaller: the token's subject, else the client's address.
    const who = { transport, caller: context.identity.sub ?? `@${context.clientAddress ?? ''}`, expiresAt };
    const overLimit = limitRefusal(perCaller.get(who.caller) ?? 0, perTransport, options.limits);
    if (overLimit) {
      options.metrics.dropped.inc({ reason: 'limit' });
      return refusedWith(overLimit, options.formatError);
    }
    // The place is taken before the first await, so subscriptions admitted at once cannot all pass the limit.
    count(who, +1);
    const subscribed = await admitAndJoin(request, context, who, lastEventId).catch((error: unknown) => {
      options.logger.error({ err: error }, 'subscription could not start');
      return refusedWith(new GraphQLError('The subscription could not start.', { originalError: error as Error }), options.formatError);
    });
    if (subscribed.kind !== 'stream') count(who, -1);
    return subscribed;
  };

  const admitAndJoin = async (
    request: StreamRequest,
    context: GatewayContext,
    who: Who,
    lastEventId: string | undefined,
  ): Promise<Subscribed> => {
    const admission = await admitSubscription(request, context, { ...options, schema: () => current?.planner.supergraph.apiSchema });
    if (admission.kind === 'operation') return admission;
    if (admission.kind === 'refused')
      return { kind: 'refused', result: { errors: admission.errors.map((error) => options.formatError(error.toJSON(), error)) } };
    if (!current)
      return refusedWith(
        new GraphQLError('The gateway has no supergraph loaded yet.', { extensions: { code: ErrorCode.ServiceOverloaded } }),
        options.formatError,
      );
    const { execution } = admission.admitted;
    const plan = current.planner.plan(execution.document, execution.request.operationName ?? null);
    const key = shareKey(execution, current.hints, lastEventId);
    let group = groups.get(key);
    if (!group) {
      const started = new SubscriptionGroup(key, plan, execution, lastEventId, deps);
      groups.set(key, started);
      void started.run().finally(() => groups.get(key) === started && groups.delete(key));
      group = started;
    }
    return join(group, { ...who, context: contextOf(execution) });
  };

  /** A subscriber in a group: its bounded channel, its token's expiry, its events paid for; leaving takes it out of every count. */
  const join = (group: SubscriptionGroup, who: Who & { context: GatewayContext }): Subscribed => {
    const channel = createChannel<SubscriptionEvent>(options.limits.maxQueuedEvents);
    const finish = (last: SubscriptionEvent) => channel.push(last) && channel.end();
    const member: Member = {
      take(event) {
        const refusal = expired(who.expiresAt) ?? options.chargeEvent(who.context);
        if (refusal) {
          options.metrics.dropped.inc({ reason: refusal.extensions.code === ErrorCode.Unauthenticated ? 'expired' : 'rate_limited' });
          finish(lastEvent(refusal, options.formatError));
          return false;
        }
        if (channel.push(event)) return true;
        options.metrics.dropped.inc({ reason: 'slow' });
        return false;
      },
      end: (how, last) => (last && how.kind === 'complete' ? finish(last) : channel.end(how)),
    };
    group.members.add(member);
    const expiry =
      who.expiresAt === undefined
        ? undefined
        : setTimeout(() => member.take(lastEvent(expired(0)!, options.formatError)), Math.max(0, who.expiresAt - Date.now()));
    expiry?.unref();
    void channel.ended.then(() => {
      clearTimeout(expiry);
      count(who, -1);
      group.members.delete(member);
      if (group.members.size === 0) group.close();
    });
    return { kind: 'stream', events: channel, ended: channel.ended, cancel: () => channel.end() };
  };

  const count = ({ transport, caller }: Who, delta: number) => {
    perTransport[transport] = (perTransport[transport] ?? 0) + delta;
    const left = (perCaller.get(caller) ?? 0) + delta;
    if (left > 0) perCaller.set(caller, left);
    else perCaller.delete(caller);
  };

  return {
    subscribe,
    onSupergraph(state) {
      const planner = createSubscriptionPlanner(state);
      const services = Object.fromEntries([...state.subgraphs].map(([name, url]) => [name, options.buildService({ name, url })]));
      current = { planner, services, hints: readCacheHints(state.sdl) };
      for (const group of [...groups.values()]) {
        if (validate(state.apiSchema, group.document).length === 0) continue;
        const error = new GraphQLError('The supergraph changed: this subscription no longer validates against it.', {
          extensions: { code: GatewayErrorCode.SubscriptionSchemaChanged },
        });
        group.close({ kind: 'complete' }, lastEvent(error, options.formatError));
      }
    },
    active: () => ({ ...perTransport }),
    close() {
      for (const group of [...groups.values()]) group.close();
    },
  };
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

/** An error when one more subscription is more than the caller, or the process, may have. */
function limitRefusal(callerCount: number, perTransport: Record<string, number>, limits: SubscriptionLimits): GraphQLError | undefined {
  const total = Object.values(perTransport).reduce((sum, count) => sum + count, 0);
  if (callerCount >= limits.maxPerCaller) {
    return new GraphQLError(`At most ${limits.maxPerCaller} subscriptions per caller at once.`, {
      extensions: { code: GatewayErrorCode.SubscriptionLimit, subscriptions: { max: limits.maxPerCaller } },
    });
  }
  if (total >= limits.maxTotal) {
    return new GraphQLError('This gateway serves as many subscriptions as it can; retry shortly (another replica may have room).', {
      extensions: { code: ErrorCode.ServiceOverloaded },
    });
  }
  return undefined;
}

/** UNAUTHENTICATED once the caller's token has expired. */
function expired(expiresAt: number | undefined): GraphQLError | undefined {
  if (expiresAt === undefined || Date.now() < expiresAt) return undefined;
  return new GraphQLError('The token has expired: subscribe again with a new one.', { extensions: { code: ErrorCode.Unauthenticated } });
}

/** The last event of a subscription the gateway ends: the reason, as an error. */
function lastEvent(error: GraphQLError, formatError: SubscriptionEngineOptions['formatError']): SubscriptionEvent {
  const result = { errors: [formatError(error.toJSON(), error)] };
  return { result, json: JSON.stringify(result) };
}

function refusedWith(error: GraphQLError, formatError: SubscriptionEngineOptions['formatError']): Subscribed {
  return { kind: 'refused', result: { errors: [formatError(error.toJSON(), error)] } };
}
