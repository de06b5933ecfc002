import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import cors from '@fastify/cors';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { bulkhead, BulkheadRejectedError } from 'cockatiel';
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import websocket from '@fastify/websocket';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ErrorCode, errorBody } from './errors.js';
import { PROBE_PATHS, registerHealthRoutes, type ReadinessCheck } from './health.js';
import { apolloFastifyHandler, type ExecuteAround } from './apollo-handler.js';
import { createRequestShapeHook } from './graphql-over-http.js';
import {
  clientErrorHandler,
  createBatchLimitHook,
  createHttpErrorHandler,
  frameworkErrorHandler,
  notFoundHandler,
  checkHost,
} from './http-errors.js';
import { generateRequestId, registerRequestContext } from './request-context.js';
import { inIncomingTrace, withSpan } from './tracing.js';
import { acceptsEventStream, openEventStream, type EventStream, type EventStreamOptions } from './event-stream.js';

/** What the HTTP server defaults to (`MAX_BODY_BYTES`, `MAX_BATCH_OPERATIONS`). */
export const HTTP_SERVER_DEFAULTS = { bodyLimit: 1_048_576, maxBatchOperations: 0 } as const;

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions<C extends BaseContext> {
  /** A started-or-not Apollo Server; {@link HttpServer.listen} starts it. */
  apollo: ApolloServer<C>;
  /** Builds the per-request context (per-request DataLoaders live there). */
  context: (request: FastifyRequest, reply: FastifyReply) => Promise<C>;
  /** Around Apollo's pipeline, after the guards: may answer a request without it (the gateway's shared answers). @default runs it */
  execute?: ExecuteAround;
  logger: Logger;
  /** Resolves when the service can serve traffic; rejects with the reason otherwise. Backs `GET /ready`. */
  readiness: ReadinessCheck;
  /** Browser origins allowed by CORS; `['*']` allows any. @default [] (same-origin only) */
  corsOrigins?: string[];
  /** Largest request body accepted, in bytes. @default 1_048_576 */
  bodyLimit?: number;
  /** Path of the GraphQL endpoint. @default '/graphql' */
  path?: string;
  /** Operations allowed in one batched (JSON array) request; Apollo refuses batches unless enabled. @default 0 */
  maxBatchOperations?: number;
  /**
   * Run in order before every request but the probes (`/health`, `/ready`), its body parsed and
   * the raw text kept as `request.rawBody`; each may answer the request itself, and then the
   * rest do not run (a subgraph refuses unsigned requests, whatever the path; the gateway
   * authenticates, charges the rate limit, then refuses an abusive document before parsing it
   * for real).
   */
  guards?: Array<Guard | undefined>;
  /**
   * Requests served at once, and waiting for a turn; beyond both, 503 `SERVICE_OVERLOADED`
   * with `Retry-After` at once, instead of latency growing without bound. @default unbounded
   */
  concurrency?: { maxInFlight: number; maxQueued: number };
  /** Where in-flight, queued and rejected requests are counted. */
  registry?: Registry;
  /** Fastify's `trustProxy`: whose `X-Forwarded-For` to believe for the client's address. @default false */
  trustProxy?: boolean | string | string[];
  /** On close: how long `/ready` says "draining" before the listener closes, so load balancers stop sending first. @default 0 */
  shutdownDelayMs?: number;
  /**
   * Requests that ask for a stream of results on the GraphQL path (GraphQL over server-sent
   * events: `Accept: text/event-stream`) are answered by `handle` instead of Apollo — after the
   * guards, and outside the concurrency bound, since a stream lives long (its owner bounds how
   * many). On close, every stream still open ends with a `retry:` hint, so its client reconnects
   * to a replica that is ready.
   */
  eventStreams?: { handle(request: RawBodyRequest, stream: EventStream): Promise<void>; options?: EventStreamOptions };
  /**
   * WebSocket connections on the GraphQL path (`GET` with `Upgrade: websocket`), after the guards;
   * `handle` owns each socket. On close every socket still open is closed with 1012 (service
   * restart: its client reconnects elsewhere).
   */
  webSockets?: { handle(socket: WebSocket, request: RawBodyRequest): void };
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** A request whose JSON body is also kept as the text it arrived as (a signature covers the bytes). */
export type RawBodyRequest = FastifyRequest & { rawBody?: string };
/** A check before GraphQL: answers the request itself (with `reply`) to refuse it, or lets it through. */
export type Guard = (request: RawBodyRequest, reply: HttpReply) => Promise<unknown>;

/** The reply a guard may answer with. */
export type HttpReply = FastifyReply;

/** The running service: listen, then close on shutdown. */
export interface HttpServer {
  fastify: FastifyInstance;
  /** Starts Apollo and listens; returns the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting connections, drains in-flight requests, stops Apollo. */
  close(): Promise<void>;
}

/**
 * One HTTP server per service: the GraphQL endpoint plus `GET /health` (liveness: the
 * process answers) and `GET /ready` (readiness: its dependencies answer).
 */
export function createHttpServer<C extends BaseContext>(options: HttpServerOptions<C>): HttpServer {
  const { apollo, logger, readiness } = options;
  const app = createFastify(options);
  let draining = false;
  registerHealthRoutes(app, { readiness, logger, draining: () => draining });
  // Once draining, every answer closes its connection: a keep-alive connection that was busy
  // when shutdown began would otherwise stay open (idle) until its timeout, and hold up the
  // close; the client's next request opens a new connection, which the load balancer sends
  // to a replica that is ready.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });

  const streams = new Set<EventStream>();
  const sweepConnections = trackConnections(app.server);
  return {
    fastify: app,
    async listen(port, host = '0.0.0.0') {
      await apollo.start();
      await registerGraphQLRoute(app, options, streams);
      await app.listen({ port, host });
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async close() {
      // Not ready first, so load balancers stop sending; then drain what is in flight.
      draining = true;
      if (options.shutdownDelayMs) await new Promise((resolve) => setTimeout(resolve, options.shutdownDelayMs));
      // Long-lived connections would hold the close up: their clients are told to reconnect elsewhere.
      for (const stream of streams) stream.close('draining');
      if (options.webSockets) closeSockets(app.websocketServer.clients);
      const sweeping = setInterval(sweepConnections, 250);
      await app.close().finally(() => clearInterval(sweeping));
      await apollo.stop();
    },
  };
}

/**
 * What Node's own close leaves open, closed: a keep-alive connection that was busy when the
 * server began to close and is idle now (Node closes idle ones once, at the start), and a
 * connection that never sent a request (Node waits for its headers timeout, a minute — a load
 * balancer's connection opened just before). Returns the sweep, run while the server closes.
 */
function trackConnections(server: Server): () => void {
  const sockets = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
  });
  return () => {
    server.closeIdleConnections();
    // Nothing read through two sweeps in a row: no request is on its way.
    for (const [socket, sweeps] of sockets) {
      if (socket.bytesRead > 0) sockets.delete(socket);
      else if (sweeps >= 1) socket.destroy();
      else sockets.set(socket, sweeps + 1);
    }
  };
}

/** Closes each socket with 1012 (service restart: reconnect elsewhere); one whose client does not answer the close in a second is cut. */
function closeSockets(sockets: Set<WebSocket>): void {
  for (const socket of sockets) socket.close(1012, 'service restart');
  setTimeout(() => {
    for (const socket of sockets) socket.terminate();
  }, 1_000).unref();
}

/**
 * Fastify as every service runs it: GraphQL's error shape for every refusal, request ids, the
 * raw JSON body kept, then the batch limit and the guards before any handler.
 */
function createFastify<C extends BaseContext>(options: HttpServerOptions<C>): FastifyInstance {
  const { logger, bodyLimit = HTTP_SERVER_DEFAULTS.bodyLimit, maxBatchOperations = HTTP_SERVER_DEFAULTS.maxBatchOperations } = options;
  const app = fastify({
    bodyLimit,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    trustProxy: options.trustProxy ?? false,
    genReqId: generateRequestId,
    // Every refusal in GraphQL's error shape with a code, from the HTTP parser's up.
    http: { requireHostHeader: false },
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
  });
  app.setErrorHandler(createHttpErrorHandler({ bodyLimit, logger }));
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onRequest', checkHost);
  registerRequestContext(app);
  keepRawJsonBody(app);
  // A batch too large is refused before any guard parses its operations.
  if (maxBatchOperations > 0) app.addHook('preHandler', createBatchLimitHook(maxBatchOperations));
  registerGuards(app, options.guards ?? []);
  return app;
}

/**
 * CORS, and the GraphQL endpoint: Apollo behind the request-shape check, traced, within the
 * concurrency limit; a request for an event stream, or a WebSocket, to their handlers when given.
 */
async function registerGraphQLRoute<C extends BaseContext>(
  app: FastifyInstance,
  options: HttpServerOptions<C>,
  streams: Set<EventStream>,
): Promise<void> {
  const { apollo, corsOrigins = [], path = '/graphql', eventStreams, webSockets } = options;
  await app.register(cors, {
    origin: corsOrigins.includes('*') ? true : corsOrigins,
    credentials: !corsOrigins.includes('*'),
    // An OPTIONS request that is not a full preflight gets an empty 204 (no CORS headers
    // for an origin not allowed) rather than a plain-text 400 outside GraphQL's error shape.
    strictPreflight: false,
  });
  // The plugin's own close would end each socket with 1001; the server closes them itself, with 1012.
  if (webSockets) await app.register(websocket, { preClose: (done) => done() });
  const apolloHandler = withConcurrencyLimit(traced(apolloFastifyHandler(apollo, options.context, options.execute), path), options);
  const handler: Handler = async (request, reply) => {
    if (!eventStreams || !acceptsEventStream(request)) return apolloHandler(request, reply);
    const stream = openEventStream(request, reply, eventStreams.options);
    streams.add(stream);
    void stream.ended.then(() => streams.delete(stream));
    await eventStreams.handle(request, stream);
  };
  const preHandler = createRequestShapeHook();
  app.route({ url: path, method: ['POST', 'OPTIONS'], preHandler, handler });
  app.route({
    url: path,
    method: 'GET',
    preHandler,
    handler,
    ...(webSockets && { wsHandler: (socket: WebSocket, request: FastifyRequest) => webSockets.handle(socket, request) }),
  });
}

/** The guards, in order, before every request but the probes; the first to answer ends it. */
function registerGuards(app: FastifyInstance, given: Array<Guard | undefined>): void {
  const guards = given.filter((guard): guard is Guard => guard !== undefined);
  if (guards.length === 0) return;
  app.addHook('preHandler', async (request, reply) => {
    if (PROBE_PATHS.has(request.routeOptions.url ?? '')) return;
    for (const guard of guards) {
      await guard(request, reply);
      if (reply.sent) return reply;
    }
  });
}

/**
 * The handler behind a bulkhead (cockatiel): at most `maxInFlight` requests run, `maxQueued`
 * wait; any more is answered 503 at once. Counts what runs, waits and is refused.
 */
function withConcurrencyLimit(
  handler: Handler,
  { concurrency, registry }: Pick<HttpServerOptions<BaseContext>, 'concurrency' | 'registry'>,
): Handler {
  const limit = bulkhead(concurrency?.maxInFlight ?? Number.MAX_SAFE_INTEGER, concurrency?.maxQueued ?? 0);
  const capacity = { running: concurrency?.maxInFlight ?? Number.MAX_SAFE_INTEGER, queued: concurrency?.maxQueued ?? 0 };
  const registers = registry ? [registry] : [];
  new Gauge({
    name: 'http_requests_in_flight',
    help: 'GraphQL requests being served.',
    registers,
    collect() {
      this.set(capacity.running - limit.executionSlots);
    },
  });
  new Gauge({
    name: 'http_requests_queued',
    help: 'GraphQL requests waiting for a turn (MAX_QUEUED_REQUESTS).',
    registers,
    collect() {
      this.set(capacity.queued - limit.queueSlots);
    },
  });
  const rejected = new Counter({
    name: 'http_requests_rejected_total',
    help: 'Requests refused before any work, by reason.',
    labelNames: ['reason'],
    registers,
  });
  return async (request, reply) => {
    try {
      return await limit.execute(() => handler(request, reply));
    } catch (error) {
      if (!(error instanceof BulkheadRejectedError)) throw error;
      rejected.inc({ reason: 'overloaded' });
      return reply
        .code(503)
        .header('retry-after', '1')
        .type('application/json')
        .send(errorBody('The service is at capacity; retry shortly.', ErrorCode.ServiceOverloaded));
    }
  };
}

/** Each request in a span of the trace its caller sent (`traceparent`), named after the operation once known; as is when tracing is off. */
function traced(handler: Handler, path: string): Handler {
  return (request, reply) =>
    inIncomingTrace(request.headers, () =>
      withSpan(`${request.method} ${path}`, { 'http.request.method': request.method, 'tessera.request_id': request.id }, () =>
        handler(request, reply),
      ),
    );
}

/** Fastify's own JSON parser (with its prototype-poisoning protection), keeping the raw text too. */
function keepRawJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as RawBodyRequest).rawBody = body as string;
    // Fastify's JSON parser answers through `done`, synchronously; it returns nothing to wait for.
    void parseJson(request, body as string, done);
  });
}
