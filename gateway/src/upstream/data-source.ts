import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import {
  encodePosition,
  READ_POSITION_HEADER,
  ANONYMOUS,
  BUDGET_HEADER,
  composeKey,
  encodeIdentity,
  IDENTITY_HEADER,
  propagateTrace,
  REQUEST_ID_HEADER,
  type Logger,
} from '@tessera/service-kit';
import { subrequestFailure } from '../errors.js';
import { createInflightShare } from '../inflight.js';
import type { SubgraphMetrics } from './metrics.js';
import { AttemptFailure, CallError, type SubgraphPolicy } from './resilience.js';
import { isOperationFetch, readPositionOf, type GatewayContext, type SubgraphSource } from '../pipeline/index.js';

/** A mutation's `Idempotency-Key` and the fingerprint of the request it came with, sent with its fetches. */
export interface IdempotencyNote {
  key: string;
  fingerprint: string;
}

/** Options of {@link SubgraphDataSource}. */
export interface SubgraphDataSourceOptions {
  service: string;
  url: string;
  /** The pooled (and signing) fetcher. */
  fetcher: Fetcher;
  policy: SubgraphPolicy;
  metrics: SubgraphMetrics;
  logger: Logger;
  /** Identical queries in flight at once share one fetch. @default true */
  deduplicate?: boolean;
  /** The idempotency key of a mutation's operation. @default none */
  idempotencyOf?: (context: GatewayContext) => IdempotencyNote | undefined;
}

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** With no deadline in the context (health checks, tests): the subgraph's own timeout alone bounds a call. */
const NO_DEADLINE_MS = 600_000;

/**
 * How the gateway calls one subgraph: the request body and headers it needs (identity, request
 * id, trace, the time budget left, a mutation's idempotency key), through the subgraph's policy
 * (deadline, retries of queries, circuit breaker, bulkhead), on the pooled signing fetcher. A
 * failed call becomes an error naming the subgraph with a stable code; the gateway answers
 * with what the other subgraphs resolved.
 *
 * Identical queries in flight at once — same document, variables and forwarded identity, the
 * only inputs of a subgraph's answer — share one fetch (`deduplicate`): each caller parses the
 * shared text into its own objects, as Apollo Gateway merges into what it is given. Mutations
 * are never shared. A caller that joins a fetch started earlier has a later deadline (every
 * request gets the same budget), so sharing never makes it wait past its own.
 */
export class SubgraphDataSource implements SubgraphSource {
  private readonly inflight = createInflightShare<string>();

  private readonly service: string;
  readonly url: string;
  private readonly fetcher: Fetcher;
  private readonly policy: SubgraphPolicy;
  private readonly metrics: SubgraphMetrics;
  private readonly logger: Logger;
  private readonly deduplicate: boolean;
  private readonly idempotencyOf: (context: GatewayContext) => IdempotencyNote | undefined;

  constructor({
    service,
    url,
    fetcher,
    policy,
    metrics,
    logger,
    deduplicate = true,
    idempotencyOf = () => undefined,
  }: SubgraphDataSourceOptions) {
    this.service = service;
    this.url = url;
    this.fetcher = fetcher;
    this.policy = policy;
    this.metrics = metrics;
    this.logger = logger;
    this.deduplicate = deduplicate;
    this.idempotencyOf = idempotencyOf;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    // Health checks and schema loads come with a context of their own, not a request's: what of it is there is used.
    const context: Partial<GatewayContext> = options.context;
    // The query planner writes each fetch as `mutation …`, `query …` or `{ … }`.
    const mutation = request.query?.trimStart().startsWith('mutation') ?? false;
    const idempotency = mutation && isOperationFetch(options) ? this.idempotencyOf(options.context) : undefined;
    const extensions = idempotency ? { ...request.extensions, idempotency } : request.extensions;
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName, extensions });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      [IDENTITY_HEADER]: encodeIdentity(context.identity ?? ANONYMOUS),
    };
    if (context.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    const readPosition = readPositionOf(options);
    if (readPosition !== undefined) headers[READ_POSITION_HEADER] = encodePosition(readPosition);
    propagateTrace(headers, context.traceparent);
    const deadline = context.deadline ?? Date.now() + NO_DEADLINE_MS;
    const fetch = () => this.fetchText(body, headers, deadline, mutation);
    if (mutation || !this.deduplicate) return this.parse(await fetch());
    // Only callers who may read at the same position share a fetch: a writer's must show its write.
    const { promise, shared } = this.inflight.get(
      composeKey([headers[IDENTITY_HEADER], headers[READ_POSITION_HEADER] ?? null, body]),
      fetch,
    );
    if (shared) this.metrics.deduplicated.inc({ subgraph: this.service });
    return this.parse(await promise);
  }

  /** Each caller's own objects from the answer's text; an answer that is not JSON fails like a broken call. */
  private parse(text: string): GatewayGraphQLResponse {
    try {
      return JSON.parse(text) as GatewayGraphQLResponse;
    } catch (error) {
      this.logger.warn({ subgraph: this.service, url: this.url, err: error }, 'subgraph answered with something that is not JSON');
      throw subrequestFailure(this.service, undefined);
    }
  }

  /** One subgraph call (retries included), observed and logged once, whoever shares it; its answer as text. */
  private async fetchText(body: string, headers: Record<string, string>, deadline: number, mutation: boolean): Promise<string> {
    const started = performance.now();
    try {
      const response = await this.policy.call((signal) => this.attempt(body, headers, deadline, signal), {
        idempotent: !mutation,
        deadline,
      });
      const text = await response.text();
      this.observe(started, 'ok');
      return text;
    } catch (error) {
      throw this.failure(error, started);
    }
  }

  /** One attempt: the budget left goes with it, so the subgraph stops when the client's time is up. */
  private async attempt(body: string, headers: Record<string, string>, deadline: number, signal: AbortSignal): Promise<FetcherResponse> {
    let response: FetcherResponse;
    try {
      response = await this.fetcher(this.url, {
        method: 'POST',
        headers: { ...headers, [BUDGET_HEADER]: String(Math.max(1, deadline - Date.now())) },
        body,
        signal,
      });
    } catch (error) {
      if (signal.aborted)
        throw new AttemptFailure('timeout', `timed out after ${this.policy.timeoutMs} ms or at the request's deadline`, undefined, {
          cause: error,
        });
      throw new AttemptFailure('connection', describeNetworkError(error as Error), undefined, { cause: error });
    }
    if (!response.ok) throw new AttemptFailure('status', `HTTP ${response.status}`, response.status);
    return response;
  }

  private failure(error: unknown, started: number) {
    const failure = error instanceof CallError ? error.failure : undefined;
    const outcome =
      failure?.kind === 'failed'
        ? failure.failure.kind === 'timeout'
          ? 'timeout'
          : 'error'
        : (failure?.kind.replace('-', '_') ?? 'error');
    this.observe(started, outcome);
    // A failure the policy knows (refused, reset, timed out, an HTTP status, the circuit open) is
    // expected of a subgraph that is down or booting: one line with its reason. Anything else is a
    // bug worth its stack.
    const detail = failure
      ? {
          reason: failure.kind === 'failed' ? failure.failure.reason : failure.kind,
          status: failure.kind === 'failed' ? failure.failure.status : undefined,
        }
      : { err: error };
    this.logger.warn({ subgraph: this.service, url: this.url, outcome, ...detail }, 'subgraph request failed');
    return subrequestFailure(this.service, failure);
  }

  private observe(started: number, outcome: string): void {
    this.metrics.duration.observe({ subgraph: this.service, outcome }, (performance.now() - started) / 1_000);
  }
}

function describeNetworkError(error: Error): string {
  const { code, cause } = error as Error & { code?: string; cause?: { code?: string } };
  switch (code ?? cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    default:
      return 'request failed';
  }
}
