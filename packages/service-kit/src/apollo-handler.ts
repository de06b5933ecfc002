import { Readable } from 'node:stream';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest, type HTTPGraphQLResponse } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * How a request is answered: by `run` (Apollo's pipeline), or another way — with the response of
 * an identical request in flight, say (its body encoded once, as `bytes`, for all who send it).
 * `null`: the reply was sent already (a refusal).
 */
export type ExecuteAround = (
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<HTTPGraphQLResponse>,
) => Promise<(HTTPGraphQLResponse & { bytes?: Buffer }) | null>;

/**
 * Apollo Server behind a Fastify route, as `@as-integrations/fastify` does it, but without
 * building a URL from the `Host` header to find the query string: an HTTP/1.0 request may come
 * without one (or with one `new URL` refuses, `Host: [::1`), and the integration answered it 500.
 * The query string is what follows the first `?` of the request target, as sent.
 */
export function apolloFastifyHandler<C extends BaseContext>(
  apollo: ApolloServer<C>,
  context: (request: FastifyRequest, reply: FastifyReply) => Promise<C>,
  execute: ExecuteAround = (_request, _reply, run) => run(),
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return async (request, reply) => {
    const run = () =>
      apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: graphqlRequestOf(request), context: () => context(request, reply) });
    const response = await execute(request, reply, run);
    if (response === null) return reply;
    const { headers, body, status } = response;
    for (const [name, value] of headers) void reply.header(name, value);
    void reply.code(status ?? 200);
    if (body.kind === 'complete') return response.bytes ?? body.string;
    return reply.send(Readable.from(body.asyncIterator));
  };
}

function graphqlRequestOf(request: FastifyRequest): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const query = request.url.indexOf('?');
  return { method: request.method.toUpperCase(), headers, search: query === -1 ? '' : request.url.slice(query), body: request.body };
}
