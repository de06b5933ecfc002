import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { fastifyRequestContext, requestContext } from '@fastify/request-context';
import type { FastifyInstance } from 'fastify';

/** The header a request id travels in: from the client (if well formed), back to it, and to every subgraph. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Letters, digits and `_ . : -`, at most 128: what ids from load balancers and clients look like, and nothing that could forge a log line. */
const WELL_FORMED = /^[\w.:-]{1,128}$/;

declare module '@fastify/request-context' {
  interface RequestContextData {
    requestId: string;
  }
}

/** The incoming id when it is well formed, else a new one. */
export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && WELL_FORMED.test(header) ? header : randomUUID();
}

/** The id of the request being served (undefined outside one): what every log line of it carries. */
export function currentRequestId(): string | undefined {
  return requestContext.get('requestId');
}

/**
 * Gives every request an id (`request.id`, see `genReqId`), returns it in `x-request-id`, and
 * keeps it in an async-local store for the whole request — hooks, Apollo, resolvers, loaders —
 * so the logger can put it on every line without anyone passing it around.
 */
export function registerRequestContext(app: FastifyInstance): void {
  app.register(fastifyRequestContext, { defaultStoreValues: (request) => ({ requestId: request.id }) });
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}

/** Fastify's `genReqId`: the client's or gateway's id when well formed, else a new UUID. */
export const generateRequestId = (request: IncomingMessage): string => requestIdFrom(request.headers[REQUEST_ID_HEADER]);
