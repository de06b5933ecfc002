import { createParser } from 'eventsource-parser';

/** One event a subscriber received: its id and its result. */
export interface ReceivedEvent<T> {
  id: string;
  result: { data?: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  /** When it arrived (epoch ms). */
  at: number;
}

/** A subscription over GraphQL-over-SSE that resumes as an EventSource does. */
export interface ResumingSubscriber<T> {
  events: Array<ReceivedEvent<T>>;
  /** Streams opened after the first (the server drained, the connection broke). */
  reconnects: number;
  /** Resolves once the server completed the subscription (or `close` was called). */
  done: Promise<void>;
  close(): void;
}

/**
 * Subscribes with `body` at `url` (GraphQL over SSE) and keeps the subscription through
 * failures as an EventSource would: a stream that ends without `complete` — the gateway drained
 * (`retry:`), was killed, or the connection broke — is opened again with `Last-Event-ID`, the id
 * of the last event received, so the subscription resumes exactly after it.
 */
export function subscribeResuming<T>(url: string, body: unknown, headers: Record<string, string> = {}): ResumingSubscriber<T> {
  const events: Array<ReceivedEvent<T>> = [];
  const stop = new AbortController();
  const subscriber: ResumingSubscriber<T> = { events, reconnects: 0, done: Promise.resolve(), close: () => stop.abort() };
  subscriber.done = (async () => {
    let retryMs = 250;
    for (let first = true; !stop.signal.aborted; first = false) {
      if (!first) subscriber.reconnects += 1;
      const lastId = events.findLast((event) => event.id !== '')?.id;
      const completed = await readStream(url, body, { ...headers, ...(lastId !== undefined && { 'last-event-id': lastId }) }, stop.signal, {
        onEvent: (id, data) => events.push({ id, result: JSON.parse(data) as ReceivedEvent<T>['result'], at: Date.now() }),
        onRetry: (ms) => (retryMs = ms),
      });
      if (completed) return;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();
  return subscriber;
}

/** Reads one stream to its end; true when the server completed the subscription. */
async function readStream(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  signal: AbortSignal,
  on: { onEvent: (id: string, data: string) => void; onRetry: (ms: number) => void },
): Promise<boolean> {
  let completed = false;
  const parser = createParser({
    onEvent(event) {
      if (event.event === 'complete') completed = true;
      else if (event.event === 'next') on.onEvent(event.id ?? '', event.data);
    },
    onRetry: on.onRetry,
  });
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify(body),
      signal,
    });
    if (!response.ok || !response.body) return false;
    const decoder = new TextDecoder();
    for await (const chunk of response.body) parser.feed(decoder.decode(chunk, { stream: true }));
  } catch {
    // The connection broke (or the subscriber closed): resumed by the caller's loop unless closed.
  }
  return completed || signal.aborted;
}
