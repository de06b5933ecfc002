import { Agent, request } from 'node:http';
import { createParser } from 'eventsource-parser';
import WebSocket from 'ws';

/** Where one subscription's connection reports to: opened, each event's text as it came, ended. */
export interface SubscriptionSink {
  /** The gateway took the subscription: an event stream's 200, or a socket's `connection_ack` (the subscribe sent). */
  opened(): void;
  /** One `next`: its JSON text (a socket's whole message), and the time its bytes were read (epoch ms). */
  event(text: string, at: number): void;
  /** The connection is gone, and why (called once). */
  ended(reason: string): void;
}

/** One subscription's connection: `close()` ends it from the client's side. */
export interface SubscriptionConnection {
  close(): void;
}

/** What a subscription is opened with. */
export interface SubscriptionRequest {
  /** The gateway's GraphQL endpoint (`http://…/graphql`). */
  url: string;
  query: string;
  variables: Record<string, unknown>;
  /** A bearer token, as an event stream's `Authorization` header or a socket's `connection_init` payload. */
  token?: string;
}

const nowMs = () => performance.timeOrigin + performance.now();
// One connection per stream, as browsers' EventSource over HTTP/1.1 and graphql-sse's client open them.
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

/** GraphQL over SSE, distinct connections mode: a POST asking for `text/event-stream`, `next` events until `complete`. */
export function openEventStream({ url, query, variables, token }: SubscriptionRequest, sink: SubscriptionSink): SubscriptionConnection {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  const req = request(url, { method: 'POST', agent, headers }, (res) => {
    res.setEncoding('utf8');
    if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/event-stream')) {
      let text = '';
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => sink.ended(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
      return;
    }
    sink.opened();
    let at = 0;
    const parser = createParser({
      onEvent: ({ event, data }) => {
        if (event === 'next') sink.event(data, at);
        else if (event === 'complete') req.destroy();
      },
    });
    // One reading of the clock per chunk: every event in it arrived at once.
    res.on('data', (chunk: string) => ((at = nowMs()), parser.feed(chunk)));
    res.on('close', () => sink.ended('stream closed'));
  });
  req.on('error', (error) => sink.ended(error.message));
  req.end(JSON.stringify({ query, variables }));
  return { close: () => req.destroy() };
}

/** graphql-transport-ws over one socket per subscription: `connection_init` (the token), `subscribe`, `next` messages. */
export function openWebSocket({ url, query, variables, token }: SubscriptionRequest, sink: SubscriptionSink): SubscriptionConnection {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { perMessageDeflate: false });
  const send = (message: object) => socket.send(JSON.stringify(message));
  socket.on('open', () => send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
  socket.on('message', (raw: Buffer) => {
    const at = nowMs();
    const text = raw.toString('utf8');
    // Events are most of what comes: told apart without parsing them here.
    if (text.includes('"type":"next"')) return sink.event(text, at);
    const message = JSON.parse(text) as { type: string; payload?: unknown };
    if (message.type === 'connection_ack') {
      send({ id: '1', type: 'subscribe', payload: { query, variables } });
      sink.opened();
    } else if (message.type === 'ping') send({ type: 'pong' });
    else if (message.type === 'error' || message.type === 'complete') {
      sink.ended(`${message.type}: ${JSON.stringify(message.payload ?? null).slice(0, 300)}`);
      socket.close(1000);
    }
  });
  socket.on('error', (error) => sink.ended(error.message));
  socket.on('close', (code, reason) => sink.ended(`socket closed ${code} ${reason.toString()}`));
  return { close: () => socket.terminate() };
}
