import { ErrorCode, IDENTITY_HEADER, encodeIdentity, propagateTrace, REQUEST_ID_HEADER, type Logger } from '@tessera/service-kit';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { contextOf, type ExecutionRequest } from '../pipeline/index.js';
import { UpstreamDropped, type EventStreamClient, type UpstreamEvent } from '../upstream/index.js';
import type { ChannelEnd } from './channel.js';
import { executeEvent } from './event-execution.js';
import type { SubscriptionMetrics } from './metrics.js';
import type { ServiceMap, SubscriptionPlan } from './plan.js';

/** One event as every subscriber of a group receives it: its id (to resume after), its answer, and that answer as JSON, written once for all. */
export interface SubscriptionEvent {
  id?: string;
  result: FormattedExecutionResult;
  json: string;
}

/** A subscriber of a group: takes each event (or refuses it, and is gone), and is told when the group ends. */
export interface Member {
  /** False: the member is gone (it left, fell behind, ran out of points or its token expired). */
  take(event: SubscriptionEvent): boolean;
  end(how: ChannelEnd, last?: SubscriptionEvent): void;
}

/** What a group runs on: the subscribing fetch's subgraph, the other subgraphs' data sources, and how events are shaped. */
export interface GroupDeps {
  client: EventStreamClient;
  /** Where a subgraph is called (its override, else the supergraph's URL). */
  url(subgraph: string): string;
  services(): ServiceMap;
  /** The features' shaping of a response (authorization's nulls, the error limit), and errors as clients see them. */
  shape(result: ExecutionResult, execution: ExecutionRequest): FormattedExecutionResult;
  metrics: SubscriptionMetrics;
  logger: Logger;
  /** Longest the completion of one event may take (`REQUEST_TIMEOUT_MS`): each event's subgraph calls get what is left of it. */
  eventTimeoutMs: number;
  /** Reconnections after the subscribing fetch broke off, before the group gives up. @default 8 */
  maxReconnects?: number;
}

/**
 * Subscribers that share one subscription to the subgraph and one execution per event: the same
 * document as it runs, operation, variables and resume point, and the same caller — or, for an
 * operation that reads nothing private, the same visibility. The subscribing fetch is resumed
 * after the last event's id when its stream breaks off (another replica of the subgraph answers
 * the reconnection), so a subgraph going away loses its subscribers nothing.
 */
export class SubscriptionGroup {
  readonly members = new Set<Member>();
  private readonly stop = new AbortController();
  private lastEventId: string | undefined;

  constructor(
    readonly key: string,
    private readonly plan: SubscriptionPlan,
    private readonly execution: ExecutionRequest,
    resumeAfter: string | undefined,
    private readonly deps: GroupDeps,
  ) {
    this.lastEventId = resumeAfter;
  }

  /** The document the group's subscription runs (as authorization left it). */
  get document() {
    return this.execution.document;
  }

  /** Runs until the subgraph completes the subscription, it cannot be resumed, or every member has left. */
  async run(): Promise<void> {
    const { maxReconnects = 8 } = this.deps;
    let failures = 0;
    while (!this.stop.signal.aborted) {
      try {
        for await (const event of this.open()) {
          if (cutOffAsSlow(event)) throw new UpstreamDropped('the subgraph cut the stream off: the gateway fell behind');
          failures = 0;
          await this.deliver(event);
        }
        this.endAll({ kind: 'complete' });
        return;
      } catch (error) {
        if (this.stop.signal.aborted) return;
        if (!(error instanceof UpstreamDropped) || ++failures > maxReconnects) return this.fail(error);
        this.deps.metrics.resumed.inc({ subgraph: this.plan.primary.serviceName });
        this.deps.logger.info(
          { subgraph: this.plan.primary.serviceName, lastEventId: this.lastEventId, reason: error.message },
          'subscription stream broke off: resuming',
        );
        await pause(Math.min(100 * 2 ** failures, 5_000), this.stop.signal);
      }
    }
  }

  /** Ends the group and its subscription to the subgraph (the last member left, or the gateway closes). */
  close(how: ChannelEnd = { kind: 'complete' }, last?: SubscriptionEvent): void {
    this.stop.abort();
    this.endAll(how, last);
  }

  /** The subscribing fetch, from after the last event this group received. */
  private open(): AsyncGenerator<UpstreamEvent> {
    const { primary } = this.plan;
    const context = contextOf(this.execution);
    const variables = Object.fromEntries((primary.variableUsages ?? []).map((name) => [name, this.execution.request.variables?.[name]]));
    const body = JSON.stringify({
      query: primary.operation,
      variables,
      operationName: primary.operationName,
      ...(this.lastEventId !== undefined && { extensions: { lastEventId: this.lastEventId } }),
    });
    const headers: Record<string, string> = { [IDENTITY_HEADER]: encodeIdentity(context.identity), [REQUEST_ID_HEADER]: context.requestId };
    propagateTrace(headers, context.traceparent);
    return this.deps.client.open(this.deps.url(primary.serviceName), body, headers, this.stop.signal);
  }

  /** One event: `rest` executed once for every member, the answer shaped and written once, handed to each. */
  private async deliver(event: UpstreamEvent): Promise<void> {
    if (event.id !== undefined) this.lastEventId = event.id;
    const { metrics } = this.deps;
    const subgraph = this.plan.primary.serviceName;
    metrics.eventsIn.inc({ subgraph });
    const committedAt = event.result.extensions?.committedAt;
    if (typeof committedAt === 'number') metrics.lag.observe(Math.max(0, Date.now() - committedAt) / 1_000);
    // Each event is a request of its own to the other subgraphs, with a deadline of its own. Events of a
    // group are completed one at a time, so the context the features keyed their notes by is renewed in place.
    contextOf(this.execution).deadline = Date.now() + this.deps.eventTimeoutMs;
    const result = await executeEvent(this.plan, this.deps.services(), this.execution, event.result).catch((error: unknown) => ({
      errors: [
        error instanceof GraphQLError ? error : new GraphQLError('The event could not be completed.', { originalError: error as Error }),
      ],
    }));
    const shaped = this.deps.shape(result, this.execution);
    const delivered: SubscriptionEvent = { id: event.id, result: shaped, json: JSON.stringify(shaped) };
    metrics.fanOut.observe(this.members.size);
    for (const member of [...this.members]) if (!member.take(delivered)) this.members.delete(member);
  }

  private fail(error: unknown): void {
    const code = error instanceof UpstreamDropped ? ErrorCode.UpstreamUnavailable : undefined;
    if (!code) this.deps.logger.error({ err: error }, 'subscription failed');
    const message = code ? `'${this.plan.primary.serviceName}' stopped answering the subscription.` : 'The subscription failed.';
    const errors: GraphQLFormattedError[] = [{ message, extensions: { code: code ?? ErrorCode.InternalServerError } }];
    this.endAll({ kind: 'complete' }, { result: { errors }, json: JSON.stringify({ errors }) });
  }

  private endAll(how: ChannelEnd, last?: SubscriptionEvent): void {
    for (const member of this.members) member.end(how, last);
    this.members.clear();
  }
}

/** The subgraph's last word to a subscriber that fell behind it: not for the clients — the group resumes after its last event. */
function cutOffAsSlow(event: UpstreamEvent): boolean {
  return event.result.data == null && event.result.errors?.some((error) => error.extensions?.code === ErrorCode.SubscriberTooSlow) === true;
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
