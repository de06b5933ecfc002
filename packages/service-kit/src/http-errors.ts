import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
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

/**
 * What Node's HTTP parser refuses before Fastify sees a request — conflicting `Transfer-Encoding`
 * and `Content-Length`, a bad chunk size, a malformed request line or header, a head too large —
 * answered in GraphQL's error shape with a code, like every other refusal (Fastify's default
 * answers `{"error": …}`), then the connection is closed: the parser cannot find the next request.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection is gone already; there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request head is larger than this server accepts.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request did not arrive in time.']
        : [400, 'Malformed HTTP request.'];
  const body = JSON.stringify(errorBody(message, ErrorCode.BadRequest));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Fastify's own refusals of a request it parsed (a URL that does not decode, a path parameter too long): 400 in GraphQL's shape. */
export function frameworkErrorHandler(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  const message = (error as { code?: string }).code === 'FST_ERR_BAD_URL' ? 'The request URL is malformed.' : 'Malformed HTTP request.';
  // Fastify calls this handler for its effect; the reply (thenable) is sent, with nothing to wait for.
  void reply.code(400).type('application/json; charset=utf-8').send(errorBody(message, ErrorCode.BadRequest));
}

/** `uri-host [ ":" port ]` (RFC 9110 §7.2): a reg-name or IPv4 address, or an IPv6 address in brackets. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d{0,5})?$/;

/**
 * `Host` as RFC 9112 §3.2 asks: a server MUST answer 400 to an HTTP/1.1 request without one,
 * with more than one, or with one that is not a host. Node checks only the first (and answers
 * it with an empty body); Tessera turns Node's check off and answers all three here, in
 * GraphQL's shape. HTTP/1.0 may go without, and is served.
 */
export async function checkHost(request: FastifyRequest, reply: FastifyReply) {
  const { rawHeaders, httpVersion } = request.raw;
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'host') hosts += 1;
  const host = request.headers.host;
  const problem =
    hosts > 1
      ? 'A request may carry one Host header.'
      : host !== undefined && !HOST.test(host)
        ? 'The Host header is not a host.'
        : httpVersion !== '1.0' && host === undefined
          ? 'An HTTP/1.1 request needs a Host header.'
          : undefined;
  if (problem) return reply.code(400).type('application/json; charset=utf-8').send(errorBody(problem, ErrorCode.BadRequest));
}
