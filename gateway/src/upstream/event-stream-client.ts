import { SIGNATURE_HEADER, SIGNED_HEADERS, signRequest, type SignedHeader, type SigningKey } from '@tessera/service-kit';
import type { ExecutionResult } from 'graphql';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Agent, request } from 'undici';

/** One event of a subgraph's subscription: its id (the resume point after it) and its result. */
export interface UpstreamEvent {
  id?: string;
  result: ExecutionResult;
}

/** A subgraph's stream ended without saying it was complete: the connection dropped, or the subgraph went away. Resume after the last id. */
export class UpstreamDropped extends Error {
  override name = 'UpstreamDropped';
}

/** Options of {@link createEventStreamClient}. */
export interface EventStreamClientOptions {
  /** Requests are signed with it, as every subgraph call is; unsigned without one (development only). */
  signingKey?: SigningKey;
  /** A stream silent this long is taken for dead (subgraphs send a heartbeat every 15 s). @default 45_000 */
  idleTimeoutMs?: number;
  /** Time allowed for a subgraph to start answering. @default 5_000 */
  connectTimeoutMs?: number;
}

/** Opens subscriptions on subgraphs: GraphQL over server-sent events, one connection each. */
export interface EventStreamClient {
  /**
   * POSTs `body` to `url` asking for `text/event-stream` and yields each `next` event until the
   * subgraph says `complete`. A subgraph that answers with one JSON result (a refusal before any
   * stream) yields it and ends. Throws {@link UpstreamDropped} when the stream ends otherwise.
   */
  open(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): AsyncGenerator<UpstreamEvent>;
  close(): Promise<void>;
}

/**
 * Subscriptions to subgraphs on a pool of their own: a stream may stay open for hours, and its
 * idle bound (a heartbeat missed three times) is not the per-call timeout of queries.
 */
export function createEventStreamClient({
  signingKey,
  idleTimeoutMs = 45_000,
  connectTimeoutMs = 5_000,
}: EventStreamClientOptions = {}): EventStreamClient {
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, headersTimeout: connectTimeoutMs, bodyTimeout: idleTimeoutMs });
  return {
    async *open(url, body, headers, signal) {
      const signed = signingKey ? sign(url, body, headers, signingKey) : headers;
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(url, {
          method: 'POST',
          headers: { ...signed, 'content-type': 'application/json', accept: 'text/event-stream' },
          body,
          signal,
          dispatcher,
        });
      } catch (error) {
        throw new UpstreamDropped('the subgraph could not be reached', { cause: error });
      }
      const type = String(response.headers['content-type'] ?? '');
      if (!type.startsWith('text/event-stream')) {
        yield { result: await oneResult(response) };
        return;
      }
      yield* readEvents(response.body, signal);
    },
    close: () => dispatcher.close(),
  };
}

/** The headers with the request's signature, over exactly what is sent. */
function sign(url: string, body: string, headers: Record<string, string>, key: SigningKey): Record<string, string> {
  const { pathname, search } = new URL(url);
  const signedHeaders: Partial<Record<SignedHeader, string>> = {};
  for (const name of SIGNED_HEADERS) if (headers[name] !== undefined) signedHeaders[name] = headers[name];
  return { ...headers, [SIGNATURE_HEADER]: signRequest({ method: 'POST', path: pathname + search, body, headers: signedHeaders }, key) };
}

/** A subgraph's answer that is not a stream: its GraphQL result, or an error naming its status. */
async function oneResult(response: Awaited<ReturnType<typeof request>>): Promise<ExecutionResult> {
  const text = await response.body.text();
  try {
    return JSON.parse(text) as ExecutionResult;
  } catch {
    throw new UpstreamDropped(`the subgraph answered HTTP ${response.statusCode} without a stream`);
  }
}

/** The `next` events of a stream, in order, until `complete`; a stream that ends before that was dropped. */
async function* readEvents(body: AsyncIterable<Buffer | string>, signal: AbortSignal): AsyncGenerator<UpstreamEvent> {
  let parsed: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => parsed.push(event) });
  // A character may be split between two chunks: the decoder keeps its first bytes for the next.
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      const events = parsed;
      parsed = [];
      for (const event of events) {
        if (event.event === 'complete') return;
        if (event.event === 'next') yield { id: event.id, result: JSON.parse(event.data) as ExecutionResult };
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw new UpstreamDropped('the subgraph stream broke off', { cause: error });
  }
  if (!signal.aborted) throw new UpstreamDropped('the subgraph stream ended without completing');
}
