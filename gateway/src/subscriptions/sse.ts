import { HeaderMap } from '@apollo/server';
import { ErrorCode, type EventStream, type RawBodyRequest } from '@tessera/service-kit';
import type { FormattedExecutionResult } from 'graphql';
import type { GatewayContext, StreamRequest } from '../pipeline/index.js';
import type { SubscribeOptions, Subscribed, SubscriptionEngine } from './engine.js';
import type { SubscriptionMetrics } from './metrics.js';

/** A GraphQL request's parameters, as a stream's POST body or GET query string carries them. */
export interface StreamParams {
  query?: string;
  operationName?: string | null;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

/** A query or a mutation that came as a stream or over a socket, as Apollo Server is handed it: a stream's GET stays a GET (no mutation). */
export interface OperationRequest {
  params: StreamParams;
  headers: HeaderMap;
  method: 'GET' | 'POST';
  /** The query string of a GET. */
  search: string;
}

/** Options of {@link createSseTransport}. */
export interface SseTransportOptions {
  engine: SubscriptionEngine;
  /** The request's context, as the gateway builds it for Apollo (the identity the guard found). */
  contextOf: (request: RawBodyRequest) => GatewayContext;
  /** When the request's token stops being accepted (epoch ms), if it has one. */
  expiresAtOf: (request: RawBodyRequest) => number | undefined;
  /** A query or a mutation sent as a stream: Apollo Server's answer to it, as the JSON of each result (several for `@defer`). */
  runOperation: (request: OperationRequest, context: GatewayContext) => AsyncIterable<string>;
  metrics: SubscriptionMetrics;
}

/**
 * GraphQL over server-sent events, in the protocol's "distinct connections" mode (what
 * `graphql-sse`'s client does by default): a POST (or GET) asking for `text/event-stream`, one
 * `next` event per result and `complete` at the end. Each event carries its `id`, and a client that
 * reconnects with `Last-Event-ID` (as an EventSource does by itself) — or `extensions.lastEventId`
 * — resumes after it. A query or a mutation asked for as a stream is answered by Apollo Server as
 * one `next`, or one per part with `@defer`. The request passed the guards already (authentication, the rate limit's charge, the
 * document limits): the `Authorization` header is the token, re-checked at its expiry.
 */
export function createSseTransport(options: SseTransportOptions) {
  return {
    handle: async (request: RawBodyRequest, stream: EventStream): Promise<void> => {
      const params = paramsOf(request);
      const context = options.contextOf(request);
      const headers = headerMapOf(request);
      if (!params)
        return finish(stream, {
          errors: [{ message: 'A stream answers one operation, not a batch.', extensions: { code: ErrorCode.BadRequest } }],
        });
      const streamRequest: StreamRequest = { ...params, headers, checked: true };
      const resume: SubscribeOptions = {
        transport: 'sse',
        lastEventId: stream.lastEventId ?? lastEventIdOf(params.extensions),
        expiresAt: options.expiresAtOf(request),
      };
      const subscribed = await options.engine.subscribe(streamRequest, context, resume);
      if (subscribed.kind === 'operation') {
        const method = request.method === 'GET' ? 'GET' : 'POST';
        const query = request.url.indexOf('?');
        const search = method === 'GET' && query !== -1 ? request.url.slice(query + 1) : '';
        for await (const json of options.runOperation({ params, headers, method, search }, context))
          stream.send({ event: 'next', data: json });
        return finishWith(stream);
      }
      if (subscribed.kind === 'refused') return finish(stream, subscribed.result);
      await relay(stream, subscribed, options.metrics);
    },
  };
}

/** The subscription's events onto the stream until either ends; a stream the client stopped reading is cut (by the stream's own bound). */
async function relay(
  stream: EventStream,
  subscribed: Extract<Subscribed, { kind: 'stream' }>,
  metrics: SubscriptionMetrics,
): Promise<void> {
  void stream.ended.then(() => subscribed.cancel());
  for await (const event of subscribed.events) {
    if (!stream.send({ ...(event.id !== undefined && { id: event.id }), event: 'next', data: event.json })) {
      metrics.dropped.inc({ reason: 'slow' });
      subscribed.cancel();
      return;
    }
    metrics.eventsOut.inc({ transport: 'sse' });
  }
  if ((await subscribed.ended).kind === 'overflow') {
    stream.send({ event: 'next', data: JSON.stringify(slowConsumer()) });
  }
  finishWith(stream);
}

function finish(stream: EventStream, result: FormattedExecutionResult): void {
  finishWith(stream, JSON.stringify(result));
}

/** One last `next` (when given), then `complete`, and the stream ends. */
function finishWith(stream: EventStream, json?: string): void {
  if (json !== undefined) stream.send({ event: 'next', data: json });
  stream.send({ event: 'complete', data: '' });
  stream.close();
}

/** The error of a subscription cut off for falling behind. */
export function slowConsumer(): FormattedExecutionResult {
  return {
    errors: [
      {
        message: 'The client read too slowly: this subscription was cut off; resubscribe, after its last event id, to resume.',
        extensions: { code: ErrorCode.SubscriberTooSlow },
      },
    ],
  };
}

/** A single operation's parameters (a batch is refused: one stream answers one operation). */
function paramsOf(request: RawBodyRequest): StreamParams | undefined {
  if (request.method === 'GET') {
    const query = request.query as Record<string, string | undefined>;
    return {
      query: query.query,
      operationName: query.operationName ?? null,
      // The request-shape check before the handler refused any that is not a JSON object.
      variables: query.variables ? (JSON.parse(query.variables) as Record<string, unknown>) : undefined,
      extensions: query.extensions ? (JSON.parse(query.extensions) as Record<string, unknown>) : undefined,
    };
  }
  if (Array.isArray(request.body)) return undefined;
  return request.body ?? {};
}

function headerMapOf(request: RawBodyRequest): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** `extensions.lastEventId`: where a client that is not an EventSource says where to resume. */
export function lastEventIdOf(extensions: Record<string, unknown> | undefined): string | undefined {
  const id = extensions?.lastEventId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
