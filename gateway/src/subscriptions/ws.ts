import { HeaderMap } from '@apollo/server';
import { ErrorCode, type RawBodyRequest } from '@tessera/service-kit';
import { GatewayErrorCode } from '../errors.js';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { RawData, WebSocket } from 'ws';
import type { GatewayContext, StreamRequest } from '../pipeline/index.js';
import type { Subscribed, SubscriptionEngine } from './engine.js';
import type { SubscriptionMetrics } from './metrics.js';
import { lastEventIdOf, slowConsumer, type OperationRequest, type StreamParams } from './sse.js';

/** The subprotocol of `graphql-ws` (Apollo Client's `GraphQLWsLink`). */
export const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws';

/** Close codes of the protocol, and the gateway's own. */
const CLOSE = {
  badRequest: [4400, 'Bad request'],
  unauthorized: [4401, 'Unauthorized'],
  forbidden: [4403, 'Forbidden'],
  subprotocol: [4406, 'Subprotocol not acceptable'],
  initTimeout: [4408, 'Connection initialisation timeout'],
  tooManyInits: [4429, 'Too many initialisation requests'],
  slow: [1013, 'Slow consumer: reconnect and resume'],
  idle: [1000, 'Idle'],
  expired: [4401, 'The token expired'],
} as const;

/** How the WebSocket transport bounds a connection. */
export interface WebSocketSettings {
  connectionInitWaitMs: number;
  keepAliveMs: number;
  idleTimeoutMs: number;
  maxPerConnection: number;
  maxBufferedBytes: number;
}

/** What the WebSocket transport defaults to. */
export const WEBSOCKET_DEFAULTS: Readonly<WebSocketSettings> = {
  /** Time a client has to send `connection_init`. */
  connectionInitWaitMs: 3_000,
  /** A ping this often; a client that did not answer the last one is gone. */
  keepAliveMs: 15_000,
  /** A connection with no subscription this long is closed. */
  idleTimeoutMs: 600_000,
  /** Subscriptions one connection may have open at once. */
  maxPerConnection: 50,
  /** Bytes waiting for a client that reads too slowly before it is cut off (1013: reconnect and resume). */
  maxBufferedBytes: 1_048_576,
};

/** Options of {@link createWebSocketTransport}. */
export interface WebSocketTransportOptions extends Partial<WebSocketSettings> {
  engine: SubscriptionEngine;
  /** The connection's context from its upgrade request and the identity of its `connection_init`. */
  contextOf: (request: RawBodyRequest, identity: GatewayContext['identity']) => GatewayContext;
  /** What an `Authorization` value says (the connection's token); throws for one that does not verify. */
  authenticate: (authorization: string | undefined) => Promise<GatewayContext['identity']>;
  /** When an identity's token stops being accepted (epoch ms); none for an anonymous caller. */
  expiresAtOf: (identity: GatewayContext['identity']) => number | undefined;
  /** Browser origins allowed to open a WebSocket (CORS_ORIGINS; `*` any). A request without `Origin` (not a browser) is let through. */
  allowedOrigins: readonly string[];
  /** A query or a mutation sent over the socket: Apollo Server's answer to it, as the JSON of each result (several for `@defer`). */
  runOperation: (request: OperationRequest, context: GatewayContext) => AsyncIterable<string>;
  metrics: SubscriptionMetrics;
}

/**
 * GraphQL over WebSocket in the `graphql-transport-ws` protocol (graphql-ws; Apollo Client's
 * `GraphQLWsLink` unchanged), on the GraphQL path. The token comes in `connection_init`'s payload
 * (`authorization`, or `headers.authorization`), is verified as a bearer header would be, and is
 * re-checked at its expiry: the subscriptions end with UNAUTHENTICATED and the socket closes.
 * A browser's upgrade from an origin not allowed is refused (a page elsewhere cannot ride the
 * user's connection). Each event is sent as the JSON the gateway wrote once for all its
 * subscribers; a client that lets more than `maxBufferedBytes` wait is cut off with 1013.
 */
export function createWebSocketTransport(options: WebSocketTransportOptions) {
  const settings = { ...WEBSOCKET_DEFAULTS, ...options };
  return {
    handle(socket: WebSocket, request: RawBodyRequest): void {
      if (socket.protocol !== GRAPHQL_TRANSPORT_WS) return close(socket, CLOSE.subprotocol);
      if (!originAllowed(request.headers.origin, settings.allowedOrigins)) return close(socket, CLOSE.forbidden);
      new Connection(socket, request, settings).start();
    },
  };
}

type Settings = WebSocketSettings & WebSocketTransportOptions;

/** One client's socket: its handshake, its subscriptions by id, its heartbeat and its bounds. */
class Connection {
  private context: GatewayContext | undefined;
  private initialised = false;
  private readonly subscriptions = new Map<string, { cancel(): void }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private alive = true;
  private idleSince = Date.now();

  constructor(
    private readonly socket: WebSocket,
    private readonly request: RawBodyRequest,
    private readonly settings: Settings,
  ) {}

  start(): void {
    this.timers.push(setTimeout(() => !this.initialised && close(this.socket, CLOSE.initTimeout), this.settings.connectionInitWaitMs));
    this.timers.push(setInterval(() => this.heartbeat(), this.settings.keepAliveMs));
    this.socket.on('pong', () => (this.alive = true));
    this.socket.on('message', (data) => void this.receive(data));
    this.socket.on('close', () => this.closed());
  }

  private heartbeat(): void {
    if (!this.alive) return void this.socket.terminate();
    this.alive = false;
    this.socket.ping();
    if (this.subscriptions.size === 0 && Date.now() - this.idleSince > this.settings.idleTimeoutMs) close(this.socket, CLOSE.idle);
  }

  private async receive(data: RawData): Promise<void> {
    const message = parseMessage(data);
    if (!message) return close(this.socket, CLOSE.badRequest);
    switch (message.type) {
      case 'connection_init':
        return this.init(message.payload);
      case 'ping':
        return this.send({ type: 'pong' });
      case 'pong':
        return;
      case 'subscribe':
        return this.subscribe(message.id, message.payload);
      case 'complete':
        this.subscriptions.get(message.id)?.cancel();
        return;
      default:
        return close(this.socket, CLOSE.badRequest);
    }
  }

  private async init(payload: Record<string, unknown> | undefined): Promise<void> {
    if (this.initialised) return close(this.socket, CLOSE.tooManyInits);
    this.initialised = true;
    let identity: GatewayContext['identity'];
    try {
      // The token of connection_init, else the upgrade's own header (a client that is not a browser may send one; its guard verified it).
      identity = await this.settings.authenticate(authorizationOf(payload) ?? this.request.headers.authorization);
    } catch {
      return close(this.socket, CLOSE.forbidden);
    }
    this.context = this.settings.contextOf(this.request, identity);
    const expiresAt = this.settings.expiresAtOf(identity);
    if (expiresAt !== undefined) this.timers.push(setTimeout(() => this.expire(), Math.max(0, expiresAt - Date.now())));
    this.send({ type: 'connection_ack' });
  }

  private async subscribe(id: string, params: StreamParams): Promise<void> {
    if (!this.context) return close(this.socket, CLOSE.unauthorized);
    if (this.subscriptions.has(id)) return close(this.socket, [4409, `Subscriber for ${id} already exists`]);
    if (this.subscriptions.size >= this.settings.maxPerConnection) {
      return this.send({ id, type: 'error', payload: [limitError(this.settings.maxPerConnection)] });
    }
    // Taken now, before the first await: a second message with this id is refused as a duplicate.
    const pending = { cancel: () => this.subscriptions.delete(id) };
    this.subscriptions.set(id, pending);
    const headers = headerMapOf(this.request);
    // graphql-ws's client sends a string query whatever the operation: an empty one is none (a persisted query's id alone).
    const request: StreamRequest = { ...params, query: params.query || undefined, headers, checked: false };
    const subscribed = await this.settings.engine.subscribe(request, this.context, {
      transport: 'ws',
      lastEventId: lastEventIdOf(params.extensions),
      // The connection ends every subscription itself when its token expires (see expire).
    });
    if (this.subscriptions.get(id) !== pending) return subscribed.kind === 'stream' ? subscribed.cancel() : undefined;
    if (subscribed.kind === 'operation')
      return this.answer(id, this.settings.runOperation({ params, headers, method: 'POST', search: '' }, this.context));
    if (subscribed.kind === 'refused') return this.refuse(id, subscribed.result);
    this.subscriptions.set(id, { cancel: () => subscribed.cancel() });
    this.idleSince = Date.now();
    await this.relay(id, subscribed);
  }

  /** The subscription's events onto the socket, as `next` messages written around the shared JSON; `complete` at the end. */
  private async relay(id: string, subscribed: Extract<Subscribed, { kind: 'stream' }>): Promise<void> {
    const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    for await (const event of subscribed.events) {
      if (this.socket.bufferedAmount > this.settings.maxBufferedBytes) {
        this.settings.metrics.dropped.inc({ reason: 'slow' });
        subscribed.cancel();
        return close(this.socket, CLOSE.slow);
      }
      this.sendText(`${prefix}${event.json}}`);
      this.settings.metrics.eventsOut.inc({ transport: 'ws' });
    }
    if ((await subscribed.ended).kind === 'overflow') this.send({ id, type: 'next', payload: slowConsumer() });
    if (this.subscriptions.delete(id)) this.send({ id, type: 'complete' });
    this.idleSince = Date.now();
  }

  /** The token expired: each subscription ends with UNAUTHENTICATED, then the socket closes with 4401. */
  private expire(): void {
    const payload = {
      errors: [{ message: 'The token has expired: connect again with a new one.', extensions: { code: ErrorCode.Unauthenticated } }],
    };
    const ending = [...this.subscriptions];
    this.subscriptions.clear();
    for (const [id, subscription] of ending) {
      subscription.cancel();
      this.send({ id, type: 'next', payload });
      this.send({ id, type: 'complete' });
    }
    close(this.socket, CLOSE.expired);
  }

  /** A query's or a mutation's results (one, or `@defer`'s parts), each a `next`, then `complete`; none after the client completed it. */
  private async answer(id: string, results: AsyncIterable<string>): Promise<void> {
    for await (const json of results) {
      if (!this.subscriptions.has(id)) return;
      this.sendText(`{"id":${JSON.stringify(id)},"type":"next","payload":${json}}`);
    }
    if (this.subscriptions.delete(id)) this.send({ id, type: 'complete' });
  }

  /** An operation refused before it ran: the protocol's `error` message with its errors. */
  private refuse(id: string, result: FormattedExecutionResult): void {
    if (!this.subscriptions.delete(id)) return;
    this.send({ id, type: 'error', payload: result.errors ?? [] });
  }

  private closed(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const subscription of this.subscriptions.values()) subscription.cancel();
    this.subscriptions.clear();
  }

  private send(message: Record<string, unknown>): void {
    this.sendText(JSON.stringify(message));
  }

  private sendText(text: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(text);
  }
}

/** A message of the protocol, checked for its shape; undefined for anything else. */
type Message =
  | { type: 'connection_init'; payload?: Record<string, unknown> }
  | { type: 'ping' | 'pong' }
  | { type: 'subscribe'; id: string; payload: StreamParams }
  | { type: 'complete'; id: string };

/** A message's text, whichever of `ws`'s shapes it came in (a Buffer, fragments, an ArrayBuffer). */
function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(new Uint8Array(data))).toString('utf8');
}

function parseMessage(data: RawData): Message | undefined {
  let message: unknown;
  try {
    message = JSON.parse(textOf(data));
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null) return undefined;
  const { type, id, payload } = message as { type?: unknown; id?: unknown; payload?: unknown };
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'connection_init')
    return payload === undefined || payload === null || isObject(payload) ? { type, payload: payload ?? undefined } : undefined;
  if (type === 'ping' || type === 'pong') return { type };
  if (typeof id !== 'string' || id === '') return undefined;
  if (type === 'complete') return { type, id };
  if (type === 'subscribe' && isObject(payload) && validParams(payload)) return { type, id, payload };
  return undefined;
}

function validParams(payload: Record<string, unknown>): payload is Record<string, unknown> & StreamParams {
  const { query, operationName, variables, extensions } = payload;
  const object = (value: unknown) => value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value));
  return (
    (query === undefined || typeof query === 'string') &&
    (operationName === undefined || operationName === null || typeof operationName === 'string') &&
    object(variables) &&
    object(extensions)
  );
}

/** The connection's token: `authorization` (any case) of `connection_init`'s payload, or of its `headers`. */
function authorizationOf(payload: Record<string, unknown> | undefined): string | undefined {
  const pick = (record: unknown) => {
    if (typeof record !== 'object' || record === null) return undefined;
    const entry = Object.entries(record).find(([name]) => name.toLowerCase() === 'authorization');
    return typeof entry?.[1] === 'string' ? entry[1] : undefined;
  };
  return pick(payload) ?? pick(payload?.headers);
}

function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  return origin === undefined || allowed.includes('*') || allowed.includes(origin);
}

/** The upgrade's headers, as an operation sent over the socket carries them (its caller is the connection's: no token among them). */
function headerMapOf(request: RawBodyRequest): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name.startsWith('sec-websocket') || ['upgrade', 'connection', 'authorization'].includes(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function limitError(max: number): GraphQLFormattedError {
  return {
    message: `At most ${max} subscriptions per connection at once.`,
    extensions: { code: GatewayErrorCode.SubscriptionLimit, subscriptions: { max } },
  };
}

function close(socket: WebSocket, [code, reason]: readonly [number, string]): void {
  socket.close(code, reason);
}
