import {
  BUDGET_HEADER,
  deadlineExceeded,
  decodePosition,
  parseBudget,
  READ_POSITION_HEADER,
  withSpan,
  type HttpReply,
  type Identity,
  type RawBodyRequest,
} from '@tessera/service-kit';
import { Histogram, type Registry } from 'prom-client';
import type { BatchObserver, BatchOptions } from './batch-loader.js';
import type { CacheInvalidations } from './cache-invalidation.js';
import { createRequestEvents, type RequestEvents } from './events/request-events.js';
import { identityOf } from './gateway-signature.js';
import { idempotencyOf, type IdempotencyRequest } from './idempotency.js';

/** What the runtime knows of one request, for the subgraph's context. */
export interface SubgraphRequest {
  /** Who the request acts for (the gateway's, under its signature). */
  identity: Identity;
  /** Aborted once the request's time budget is spent or its caller went away: stop working on it. */
  signal: AbortSignal;
  /** How this request's loaders batch: the process's settings, each batch observed (deadline, metrics, traces). */
  loaders: BatchOptions;
  /** Set when the client sent an `Idempotency-Key` with a mutation. */
  idempotency?: IdempotencyRequest;
  /** What this request's writes changed, for the gateway's caches: mark it after each write commits. */
  invalidations: CacheInvalidations;
  /** Events its writes record in their transactions, and its subscription's events (from its resume point). */
  events: RequestEvents;
}

/** What a request arrives with. */
export interface RequestInput {
  identity: Identity;
  /**
   * Aborted once the time budget the gateway passed along is spent, or when the caller
   * closes the connection before the answer is sent; none = nothing stops the work.
   */
  signal?: AbortSignal;
  idempotency?: IdempotencyRequest;
  /** A subscription's resume point: the `seq` of the last event its client received. */
  after?: number;
  /** The database position the request's reads must show (`x-tessera-read-position`, from the gateway). */
  readPosition?: bigint;
}

const NEVER = new AbortController().signal;

/**
 * Makes each request's scope: its deadline as a signal, and a batch observer that refuses a
 * batch once the signal fired (`DEADLINE_EXCEEDED`: the database is not asked for what no one
 * will read), records the batch's size, and traces it.
 */
export function createRequestScopes({
  loaders,
  registry,
  invalidations,
  events = (after) => createRequestEvents({ ...(after !== undefined && { after }) }),
}: {
  loaders: BatchOptions;
  registry?: Registry;
  invalidations: () => CacheInvalidations;
  /** Each request's events (the process's `EventsRuntime.forRequest`). @default recorded in the transaction, never published or served */
  events?: (after?: number) => RequestEvents;
}) {
  const batchSize = new Histogram({
    name: 'dataloader_batch_size',
    help: 'Keys per DataLoader batch (one database statement each), by loader.',
    labelNames: ['loader'],
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000],
    registers: registry ? [registry] : [],
  });
  return ({ identity, signal = NEVER, idempotency, after }: RequestInput): SubgraphRequest => {
    const observer: BatchObserver = {
      run(loader, size, batch) {
        if (signal.aborted) return Promise.reject(deadlineExceeded('The request ran out of time before this data was read.'));
        batchSize.observe({ loader }, size);
        return withSpan(`loader ${loader}`, { 'tessera.loader.keys': size }, batch);
      },
    };
    return {
      identity,
      signal,
      loaders: { ...loaders, observer },
      invalidations: invalidations(),
      events: events(after),
      ...(idempotency && { idempotency }),
    };
  };
}

export type RequestScopes = ReturnType<typeof createRequestScopes>;

/**
 * What an HTTP request to a subgraph arrives with: the identity under the gateway's signature,
 * a signal for the budget it was sent with running out or its caller hanging up before the answer, and a
 * mutation's idempotency key from the (signed) body's extensions.
 */
export function requestInputOf(request: RawBodyRequest, reply: HttpReply): RequestInput {
  // One controller and at most one timer per request, the timer cleared with the answer:
  // AbortSignal.timeout and AbortSignal.any cost every request a signal that fires (and
  // builds a DOMException) long after its answer was sent.
  const stop = new AbortController();
  const header = request.headers[BUDGET_HEADER];
  const budgetMs = parseBudget(Array.isArray(header) ? header[0] : header);
  const timer = budgetMs === undefined ? undefined : setTimeout(() => stop.abort(), budgetMs);
  reply.raw.once('close', () => {
    clearTimeout(timer);
    if (!reply.raw.writableFinished) stop.abort();
  });
  const idempotency = idempotencyOf((request.body as { extensions?: unknown } | undefined)?.extensions);
  const position = request.headers[READ_POSITION_HEADER];
  const readPosition = decodePosition(Array.isArray(position) ? position[0] : position);
  return {
    identity: identityOf(request),
    signal: stop.signal,
    ...(idempotency && { idempotency }),
    ...(readPosition !== undefined && { readPosition }),
  };
}
