import { fastify, type FastifyInstance, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { Logger } from 'pino';

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions<C extends BaseContext> {
  /** A started-or-not Apollo Server; {@link HttpServer.listen} starts it. */
  apollo: ApolloServer<C>;
  /** Builds the per-request context (per-request DataLoaders live there). */
  context: (request: FastifyRequest) => Promise<C>;
  logger: Logger;
  /** Resolves when the service can serve traffic; rejects with the reason otherwise. Backs `GET /ready`. */
  readiness: () => Promise<void>;
  /** Browser origins allowed by CORS; `['*']` allows any. @default [] (same-origin only) */
  corsOrigins?: string[];
  /** Largest request body accepted, in bytes. @default 1_048_576 */
  bodyLimit?: number;
  /** Path of the GraphQL endpoint. @default '/graphql' */
  path?: string;
  /** Operations allowed in one batched (JSON array) request; Apollo refuses batches unless enabled. @default 0 */
  maxBatchOperations?: number;
}

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

  // HTTP-level rejections (body too large, malformed JSON) answer in GraphQL's error shape
  // with a stable code, like every other error, and never with a stack.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) logger.error({ err: error }, 'HTTP request failed');
    const code = status === 413 ? 'REQUEST_TOO_LARGE' : status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    const message = status === 413 ? `Request body is larger than ${bodyLimit} bytes.` : status >= 500 ? 'Internal server error' : error.message;
    return reply
      .code(status)
      .type('application/json')
      .send({ errors: [{ message, extensions: { code, ...(status === 413 && { maxBytes: bodyLimit }) } }] });
  });
  if (maxBatchOperations > 0) {
    app.addHook('preHandler', async (request, reply) => {
      if (Array.isArray(request.body) && request.body.length > maxBatchOperations) {
        return reply.code(400).send({
          errors: [
            {
              message: `A batch may hold at most ${maxBatchOperations} operations; got ${request.body.length}.`,
              extensions: { code: 'BATCH_LIMIT_EXCEEDED', batch: { measured: request.body.length, max: maxBatchOperations } },
            },
          ],
        });
      }
    });
  }

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    try {
      await readiness();
      return { status: 'ready' };
    } catch (error) {
      logger.warn({ err: error }, 'not ready');
      return reply.code(503).send({ status: 'unavailable', reason: (error as Error).message });
    }
  });

  return {
    fastify: app,
    async listen(port, host = '0.0.0.0') {
      await apollo.start();
      await app.register(cors, {
        origin: corsOrigins.includes('*') ? true : corsOrigins,
        credentials: !corsOrigins.includes('*'),
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
