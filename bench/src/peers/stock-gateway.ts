import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { SIGNATURE_HEADER, parseSigningKeys, signRequest } from '@tessera/service-kit';

/**
 * Stock `@apollo/gateway` on `@apollo/server`, as The Guild's benchmark runs it
 * (`gateways/apollo-gateway/index.ts`): the supergraph from a file, nothing configured.
 * In front of Tessera's subgraphs it must sign its requests as Tessera's gateway does
 * (SUBGRAPH_SIGNING_KEYS); it then fetches with Node's `fetch` plus a signature header.
 */
const keys = process.env.SUBGRAPH_SIGNING_KEYS ? parseSigningKeys(process.env.SUBGRAPH_SIGNING_KEYS) : undefined;
type Fetcher = NonNullable<NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher']>;
const signingFetcher: Fetcher = async (url, init) => {
  const { headers: given, method = 'GET', body } = (init ?? {}) as { headers?: Record<string, string>; method?: string; body?: string };
  const headers = { ...given };
  const { pathname, search } = new URL(url);
  headers[SIGNATURE_HEADER] = signRequest({ method, path: pathname + search, body, headers: {} }, keys![0]!);
  return await fetch(url, { ...(init as RequestInit), headers });
};

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8'),
  ...(keys && { buildService: ({ url }) => new RemoteGraphQLDataSource({ url, fetcher: signingFetcher }) }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: Number(process.env.PORT) } });
console.log(`stock gateway ready at ${url}`);
