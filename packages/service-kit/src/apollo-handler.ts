import { Readable } from 'node:stream';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Apollo Server behind a Fastify route, as `@as-integrations/fastify` does it, but without
 * building a URL from the `Host` header to find the query string: an HTTP/1.0 request may come
 * without one (or with one `new URL` refuses, `Host: [::1`), and the integration answered it 500.
 * The query string is what follows the first `?` of the request target, as sent.
 */
export function apolloFastifyHandler<C extends BaseContext>(
  apollo: ApolloServer<C>,
  context: (request: FastifyRequest, reply: FastifyReply) => Promise<C>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return async (request, reply) => {
    const { headers, body, status } = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: graphqlRequestOf(request),
      context: () => context(request, reply),
    });
    for (const [name, value] of headers) void reply.header(name, value);
    void reply.code(status ?? 200);
    if (body.kind === 'complete') return body.string;
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
