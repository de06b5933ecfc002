import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';

/** How an event stream behaves (`openEventStream`). */
export interface EventStreamSettings {
  heartbeatMs: number;
  maxBufferedBytes: number;
  retryMs: number;
}

/** What an event stream defaults to (`openEventStream`). */
export const EVENT_STREAM_DEFAULTS: Readonly<EventStreamSettings> = {
  /** A comment line this often, so proxies and clients see a quiet stream is alive. */
  heartbeatMs: 15_000,
  /** Bytes waiting for a client that reads too slowly before the stream is cut (a slow consumer never grows the heap). */
  maxBufferedBytes: 1_048_576,
  /** What a client is told to wait before it reconnects, when the server ends the stream to drain. */
  retryMs: 1_000,
};

/** Why a stream ended. */
export type EventStreamEnd = 'client' | 'server' | 'slow' | 'draining';

/** One event of a stream (the `id`, `event` and `data` fields of server-sent events). */
export interface StreamEvent {
  id?: string;
  event?: string;
  /** Written as it is, one `data:` line per line. */
  data: string;
}

/** A response of server-sent events (`text/event-stream`), written as events come. */
export interface EventStream {
  /**
   * Writes one event. False when it could not: the stream is closed, or the client reads so slowly
   * that more than `maxBufferedBytes` are waiting — then the stream is cut (`slow`).
   */
  send(event: StreamEvent): boolean;
  /** Ends the stream; `retryMs` first, when the server ends it to drain (the client should reconnect elsewhere). */
  close(reason?: Exclude<EventStreamEnd, 'client' | 'slow'>): void;
  /** Resolves, once, with why the stream ended. */
  readonly ended: Promise<EventStreamEnd>;
  readonly open: boolean;
  /** The `Last-Event-ID` the client reconnected with, if any (an EventSource sends it by itself). */
  readonly lastEventId: string | undefined;
}

/** Options of {@link openEventStream}. */
export type EventStreamOptions = Partial<EventStreamSettings>;

/** Whether a request asks for a stream of events rather than one response (`Accept: text/event-stream` preferred). */
export function acceptsEventStream(request: Pick<FastifyRequest, 'headers'>): boolean {
  const accept = request.headers.accept;
  if (!accept?.includes('text/event-stream')) return false;
  return (
    new Negotiator({ headers: { accept } }).mediaType(['text/event-stream', 'application/json', 'application/graphql-response+json']) ===
    'text/event-stream'
  );
}

/**
 * Turns a reply into a stream of server-sent events: status 200 and the headers a stream needs
 * (no caching, no proxy buffering) with whatever headers the hooks set (CORS), a heartbeat comment
 * every `heartbeatMs`, and a bound on what may wait for a slow client. The reply is the stream's:
 * Fastify no longer answers it.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply, options: EventStreamOptions = {}): EventStream {
  const { heartbeatMs, maxBufferedBytes, retryMs } = { ...EVENT_STREAM_DEFAULTS, ...options };
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    // The connection ends with the stream: kept alive, idle, it would hold up the server's close
    // (until the keep-alive timeout), and a client's next stream is better opened anew, where the
    // load balancer sends it.
    connection: 'close',
  });
  raw.flushHeaders();
  let open = true;
  let finish!: (end: EventStreamEnd) => void;
  const ended = new Promise<EventStreamEnd>((resolve) => (finish = resolve));
  const end = (reason: EventStreamEnd) => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    finish(reason);
    if (!raw.writableEnded) raw.end();
  };
  const heartbeat = setInterval(() => write(':\n\n'), heartbeatMs);
  heartbeat.unref();
  raw.on('close', () => end('client'));
  const write = (text: string): boolean => {
    if (!open) return false;
    if (raw.writableLength > maxBufferedBytes) {
      // The client has not read what was sent: cutting it off is what keeps its buffer bounded.
      end('slow');
      raw.destroy();
      return false;
    }
    raw.write(text);
    return true;
  };
  const lastEventId = request.headers['last-event-id'];
  return {
    send: (event) => write(serialize(event)),
    close(reason = 'server') {
      if (reason === 'draining') write(`retry: ${retryMs}\n\n`);
      end(reason);
    },
    ended,
    get open() {
      return open;
    },
    lastEventId: typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : undefined,
  };
}

/** An event in the wire format of server-sent events. */
function serialize({ id, event, data }: StreamEvent): string {
  let text = '';
  // A newline would end the field early: ids and event names are the server's own and never hold one.
  if (id !== undefined) text += `id: ${id.replace(/[\r\n]/g, '')}\n`;
  if (event !== undefined) text += `event: ${event.replace(/[\r\n]/g, '')}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return `${text}\n`;
}
