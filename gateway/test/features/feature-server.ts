import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ANONYMOUS, createHttpServer, type HttpServer, type Identity, type RawBodyRequest } from '@tessera/service-kit';
import { GRAPHQL_RESPONSE_ACCEPT } from '@tessera/test-helpers';
import {
  execute,
  getNamedType,
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  print,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { pino } from 'pino';
import {
  assembleFeatures,
  withExecutionSteps,
  type ExecutingGateway,
  type GatewayContext,
  type GatewayFeature,
} from '../../src/pipeline/index.js';
import { apiSchemaOf, readJoinGraphs } from '../../src/supergraph/index.js';

/** The committed supergraph: its directives (cost, authorization, cache hints) are what the features read. */
export const SUPERGRAPH_SDL = readFileSync(resolve(import.meta.dirname, '../../../supergraph.graphql'), 'utf8');

/** Options of {@link startFeatureServer}. */
export interface FeatureServerOptions {
  /** Who a request acts for (the identity feature's `identityOf` when it is in the list). @default anonymous */
  identityOf?: (request: object) => Identity;
  /** Apollo Server's `persistedQueries` option (the persisted queries feature's `apq`). */
  apq?: ConstructorParameters<typeof ApolloServer<GatewayContext>>[0]['persistedQueries'];
}

/** A gateway of only the given features, in this process, on a free loopback port. */
export interface FeatureServer {
  /** POSTs a body to `/graphql`; the status, headers and parsed body. */
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: GraphQLBody }>;
  /** Every document executed, printed, in order: what the execution steps handed the executor. */
  executed: string[];
  close(): Promise<void>;
}

/** A GraphQL response as these tests read it. */
export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}

/**
 * The features' assembly as the gateway does it — guards, the step around Apollo, Apollo's hooks,
 * admission, execution steps around the executor, told of the committed supergraph — on service-kit's
 * HTTP server and Apollo Server, with an executor of its own in place of Apollo Gateway's: it
 * executes the API schema in memory, every field answering a value of its type (lists empty), so
 * a feature is tested for what it does to requests and responses with no subgraph behind it.
 */
export async function startFeatureServer(features: GatewayFeature[], options: FeatureServerOptions = {}): Promise<FeatureServer> {
  const { identityOf = () => ANONYMOUS } = options;
  const parts = assembleFeatures(features);
  const apiSchema = apiSchemaOf(SUPERGRAPH_SDL);
  parts.onSupergraph({ sdl: SUPERGRAPH_SDL, apiSchema, subgraphs: readJoinGraphs(SUPERGRAPH_SDL) });
  const executed: string[] = [];
  const logger = pino({ level: 'silent' });
  const apollo = new ApolloServer<GatewayContext>({
    gateway: withExecutionSteps(inMemoryGateway(apiSchema, executed), parts.execution),
    persistedQueries: options.apq,
    plugins: parts.plugins,
    includeStacktraceInErrorResponses: false,
  });
  const server: HttpServer = createHttpServer<GatewayContext>({
    apollo,
    context: async (request: RawBodyRequest) => ({
      identity: identityOf(request),
      deadline: Date.now() + 10_000,
      requestId: request.id,
      clientAddress: request.ip,
      httpRequest: request,
    }),
    guards: parts.guards,
    execute: parts.around,
    readiness: async () => {},
    logger,
  });
  const port = await server.listen(0, '127.0.0.1');
  return {
    executed,
    async post(body, headers = {}) {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE_ACCEPT, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLBody };
    },
    async close() {
      await server.close();
      await parts.close();
    },
  };
}

/** Apollo Server's gateway interface over the API schema alone: each executed document recorded, every field a sample of its type. */
function inMemoryGateway(apiSchema: GraphQLSchema, executed: string[]): ExecutingGateway {
  // A copy of its own: Apollo Server wraps the resolvers of the schema it is handed (for its plugins), which would
  // put graphql-js's default resolver in the place of `fieldResolver`.
  const executionSchema = apiSchemaOf(SUPERGRAPH_SDL);
  let listener: ((schema: { apiSchema: GraphQLSchema; coreSupergraphSdl: string }) => void) | undefined;
  return {
    onSchemaLoadOrUpdate(callback) {
      listener = callback;
      return () => (listener = undefined);
    },
    async load() {
      listener?.({ apiSchema, coreSupergraphSdl: SUPERGRAPH_SDL });
      return {
        schema: apiSchema,
        executor: async (request) => {
          executed.push(print(request.document));
          const result = await execute({
            schema: executionSchema,
            document: request.document,
            operationName: request.operationName,
            variableValues: request.request.variables,
            fieldResolver: (_source, _args, _context, info) => sample(info.returnType, info.schema),
          });
          return result;
        },
      };
    },
    stop: async () => {},
  };
}

/** A value of `type`: lists empty, objects to be filled field by field, an abstract type as its first possible type. */
function sample(type: GraphQLOutputType, schema: GraphQLSchema): unknown {
  if (isNonNullType(type)) return sample(type.ofType, schema);
  if (isListType(type)) return [];
  const named = getNamedType(type);
  if (isObjectType(named)) return {};
  if (isAbstractType(named)) return { __typename: schema.getPossibleTypes(named)[0]?.name };
  if (isEnumType(named)) return named.getValues()[0]?.value;
  return { ID: 'id-1', String: 'text', Int: 1, Float: 1.5, Boolean: true }[named.name] ?? 'text';
}
