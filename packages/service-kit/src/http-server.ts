import cors from '@fastify/cors';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { PROBE_PATHS, registerHealthRoutes, type ReadinessCheck } from './health.js';
import { createBatchLimitHook, createHttpErrorHandler, notFoundHandler } from './http-errors.js';

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions<C extends BaseContext> {
  /** A started-or-not Apollo Server; {@link HttpServer.listen} starts it. */
  apollo: ApolloServer<C>;
  /** Builds the per-request context (per-request DataLoaders live there). */
  context: (request: FastifyRequest) => Promise<C>;
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
   * Runs before every request but the probes (`/health`, `/ready`), its body parsed and the
   * raw text kept as `request.rawBody`; it may answer the request itself (a subgraph refuses
   * unsigned ones, whatever the path).
   */
  guard?: (request: RawBodyRequest, reply: HttpReply) => Promise<unknown>;
}

/** A request whose JSON body is also kept as the text it arrived as (a signature covers the bytes). */
export type RawBodyRequest = FastifyRequest & { rawBody?: string };
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
  const { apollo, logger, readiness, corsOrigins = [], bodyLimit = 1_048_576, path = '/graphql', maxBatchOperations = 0 } = options;
  const app = fastify({ bodyLimit, logger: false, return503OnClosing: true, forceCloseConnections: 'idle' });
  app.setErrorHandler(createHttpErrorHandler({ bodyLimit, logger }));
  app.setNotFoundHandler(notFoundHandler);
  keepRawJsonBody(app);
  const { guard } = options;
  if (guard) app.addHook('preHandler', async (request, reply) => (PROBE_PATHS.has(request.routeOptions.url ?? '') ? undefined : guard(request, reply)));
  if (maxBatchOperations > 0) app.addHook('preHandler', createBatchLimitHook(maxBatchOperations));
  registerHealthRoutes(app, { readiness, logger });

  return {
    fastify: app,
    async listen(port, host = '0.0.0.0') {
      await apollo.start();
      await app.register(cors, {
        origin: corsOrigins.includes('*') ? true : corsOrigins,
        credentials: !corsOrigins.includes('*'),
        // An OPTIONS request that is not a full preflight gets an empty 204 (no CORS headers
        // for an origin not allowed) rather than a plain-text 400 outside GraphQL's error shape.
        strictPreflight: false,
      });
      const handler = fastifyApolloHandler(apollo, { context: (request) => options.context(request) });
      app.route({ url: path, method: ['GET', 'POST', 'OPTIONS'], handler });
      await app.listen({ port, host });
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async close() {
      await app.close();
      await apollo.stop();
    },
  };
}

/** Fastify's own JSON parser (with its prototype-poisoning protection), keeping the raw text too. */
function keepRawJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as RawBodyRequest).rawBody = body as string;
    parseJson(request, body as string, done);
  });
}
