/**
 * Our stand-in for the audit's `src/subgraph.ts` (which serves each subgraph with graphql-yoga
 * and fets): the same `createSubgraph(name, { typeDefs, resolvers })`, built with
 * `@apollo/subgraph`'s `buildSubgraphSchema` and served by {@link startSubgraph} on a plain
 * `node:http` server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse, type GraphQLSchema } from 'graphql';

/** What `buildSubgraphSchema` takes as a module's resolvers. */
type Resolvers = Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers'];

/** One of a suite's subgraphs, as the suites declare it. */
export interface AuditSubgraph {
  name: string;
  typeDefs: string;
  /** The executable subgraph schema (built on first use). */
  schema(): GraphQLSchema;
}

/** A subgraph listening on the loopback interface. */
export interface RunningSubgraph {
  name: string;
  typeDefs: string;
  /** Its GraphQL endpoint. */
  url: string;
  close(): Promise<void>;
}

/** The audit's signature: the suites pass resolvers of every shape (`any` upstream). */
export function createSubgraph(name: string, schemaParameters: { typeDefs: string; resolvers: unknown }): AuditSubgraph {
  let schema: GraphQLSchema | undefined;
  return {
    name,
    typeDefs: schemaParameters.typeDefs,
    schema: () =>
      (schema ??= buildSubgraphSchema({
        typeDefs: parse(schemaParameters.typeDefs),
        resolvers: schemaParameters.resolvers as Resolvers,
      })),
  };
}

/**
 * Serves a subgraph on a free loopback port: `POST` (any path) a GraphQL request as JSON, get
 * the result as JSON, errors unmasked as the audit's yoga (`maskedErrors: false`) gives them;
 * `GET /ready` answers 200, for the gateway's subgraph health checks.
 */
export async function startSubgraph(subgraph: AuditSubgraph): Promise<RunningSubgraph> {
  const schema = subgraph.schema();
  const server = createServer((request, response) => void answer(schema, request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name: subgraph.name,
    typeDefs: subgraph.typeDefs,
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

interface GraphQLRequestBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

async function answer(schema: GraphQLSchema, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST') {
    request.resume();
    return void response.writeHead(request.url === '/ready' ? 200 : 405, { 'content-type': 'text/plain' }).end();
  }
  try {
    const body = JSON.parse(await readBody(request)) as GraphQLRequestBody;
    if (typeof body.query !== 'string') return send(response, 400, { errors: [{ message: 'query must be a string' }] });
    const result = await graphql({
      schema,
      source: body.query,
      variableValues: body.variables as Record<string, unknown> | undefined,
      operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
      contextValue: {},
    });
    send(response, 200, result);
  } catch (error) {
    send(response, 400, { errors: [{ message: error instanceof Error ? error.message : String(error) }] });
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
