import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCode, errorBody } from './errors.js';

/** How much of a too-large body is read and thrown away so that the client gets its 413. */
const DRAIN = { maxBytes: 16 * 1_048_576, timeoutMs: 5_000 };

/**
 * Fastify's error handler for HTTP-level rejections (body too large, malformed JSON): the
 * answer is in GraphQL's error shape with a stable code, like every other error, never a
 * stack. Only a 5xx is the server's fault, so only that is logged as an error.
 */
export function createHttpErrorHandler({ bodyLimit, logger }: { bodyLimit: number; logger: Logger }) {
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) logger.error({ err: error }, 'HTTP request failed');
    // Fastify answers a too-large body before reading it and closes the connection; a client
    // still sending would see a broken pipe instead of the 413. Reading the rest first (up
    // to a bound) lets it finish and read the answer, as a lingering close does.
    if (status === 413) await drain(request.raw, DRAIN);
    const body =
      status === 413
        ? errorBody(`Request body is larger than ${bodyLimit} bytes.`, ErrorCode.RequestTooLarge, { maxBytes: bodyLimit })
        : status >= 500
          ? errorBody('Internal server error', ErrorCode.InternalServerError)
          : errorBody(error.message, ErrorCode.BadRequest);
    return reply.code(status).type('application/json').send(body);
  };
}

/** Reads and discards what is left of a request body, until its end, `maxBytes` or `timeoutMs`. */
function drain(request: IncomingMessage, { maxBytes, timeoutMs }: { maxBytes: number; timeoutMs: number }): Promise<void> {
  if (request.readableEnded || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let received = 0;
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      request.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    }
    function onData(chunk: Buffer) {
      received += chunk.length;
      if (received > maxBytes) done();
    }
    request.on('data', onData).once('end', done).once('close', done).once('error', done);
    request.resume();
  });
}

/**
 * A `preHandler` hook refusing HTTP batches (JSON arrays) of more than `max` operations
 * before Apollo sees them: each operation of a batch is planned and run, so an unbounded
 * batch multiplies every per-operation limit.
 */
export function createBatchLimitHook(max: number) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!Array.isArray(request.body) || request.body.length <= max) return;
    const measured = request.body.length;
    return reply
      .code(400)
      .send(errorBody(`A batch may hold at most ${max} operations; got ${measured}.`, ErrorCode.BatchLimit, { batch: { measured, max } }));
  };
}

/** Any other path or method: 404 in GraphQL's error shape, like every other refusal. */
export function notFoundHandler(_request: FastifyRequest, reply: FastifyReply) {
  return reply.code(404).type('application/json').send(errorBody('No such route: GraphQL is served at /graphql.', ErrorCode.NotFound));
}
