import { createHash } from 'node:crypto';
import { HeaderMap, type GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { ErrorCode, type Logger } from '@tessera/service-kit';
import { getOperationAST, GraphQLError, OperationTypeNode, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { GatewayErrorCode } from '../errors.js';
import {
  resolveOperation,
  type AdmissionStep,
  type ExecutionRequest,
  type ExecutionStep,
  type GatewayContext,
  type StreamRequest,
  type StreamStep,
} from '../pipeline/index.js';

/** A subscription that passed everything a query passes before it runs: its request as the execution steps hand it on. */
export interface AdmittedSubscription {
  /** The request as execution would see it: the document that runs (after authorization took out what the caller may not see), its variables and context. */
  execution: ExecutionRequest;
}

/** What became of a streamed operation before it could run. */
export type Admission =
  | { kind: 'subscription'; admitted: AdmittedSubscription }
  /** A query or a mutation: Apollo Server's pipeline answers it. */
  | { kind: 'operation' }
  | { kind: 'refused'; errors: GraphQLError[] };

/** What the admission of a streamed operation runs: the features' steps, in the order the gateway lists them. */
export interface SubscriptionAdmissionOptions {
  /** The API schema of the supergraph being served (undefined before the first load). */
  schema: () => GraphQLSchema | undefined;
  /** Lexical tokens a document may have (`MAX_TOKENS`), as Apollo Server parses. */
  maxTokens: number;
  streamSteps: readonly StreamStep[];
  admission: readonly AdmissionStep[];
  execution: readonly ExecutionStep[];
  logger: Logger;
}

/**
 * Everything a query passes before it runs, for a subscription, which Apollo Server's pipeline
 * does not carry: the features' steps before parsing (a persisted query's text, what the guards
 * check of a WebSocket's message), parsing and validation as Apollo Server does them, the
 * operation and its variables resolved, the features' admission steps (the persisted query list,
 * operation limits and cost, the rate limit, authorization) and their execution steps, whose last
 * request is the one the subscription runs with.
 */
export async function admitSubscription(
  request: StreamRequest,
  context: GatewayContext,
  options: SubscriptionAdmissionOptions,
): Promise<Admission> {
  try {
    for (const step of options.streamSteps) {
      const refusal = await step(request, context);
      if (refusal) return { kind: 'refused', errors: [refusal] };
    }
    const schema = options.schema();
    if (!schema)
      return refused(new GraphQLError('The gateway has no supergraph loaded yet.', { extensions: { code: ErrorCode.ServiceOverloaded } }));
    if (request.query === undefined || request.query === '') {
      return refused(badRequest('GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.'));
    }
    const document = parseDocument(request.query, options.maxTokens);
    const invalid = validate(schema, document);
    if (invalid.length)
      return { kind: 'refused', errors: invalid.map((error) => withCode(error, GatewayErrorCode.GraphqlValidationFailed)) };
    if (getOperationAST(document, request.operationName)?.operation !== OperationTypeNode.SUBSCRIPTION) return { kind: 'operation' };
    const resolved = resolveOperation(schema, document, request.operationName, request.variables);
    const apolloRequest = apolloShaped(request, context, schema, document, resolved.operation, options.logger);
    for (const step of options.admission) await step(apolloRequest, resolved);
    return { kind: 'subscription', admitted: { execution: await afterExecutionSteps(apolloRequest, options.execution) } };
  } catch (error) {
    if (error instanceof GraphQLError) return refused(error);
    throw error;
  }
}

/** The request the execution steps hand on, the last of them handing it to this instead of an executor. */
async function afterExecutionSteps(request: ExecutionRequest, steps: readonly ExecutionStep[]): Promise<ExecutionRequest> {
  let handedOn = request;
  const run = steps.reduceRight<(request: ExecutionRequest) => Promise<{ data: null }>>(
    (next, step) => (current) => step(current, next) as Promise<{ data: null }>,
    async (last) => ((handedOn = last), { data: null }),
  );
  await run(request);
  return handedOn;
}

function parseDocument(query: string, maxTokens: number): DocumentNode {
  try {
    return parse(query, { maxTokens });
  } catch (error) {
    if (error instanceof GraphQLError) throw withCode(error, GatewayErrorCode.GraphqlParseFailed);
    throw error;
  }
}

/**
 * The request as Apollo Server hands it to the features' admission and execution steps
 * (`GraphQLRequestContextDidResolveOperation`, the gateway's execution request): a subscription
 * never enters Apollo's pipeline, so the object Apollo would have built is built here, with what
 * those steps read, and cast once.
 */
function apolloShaped(
  request: StreamRequest,
  context: GatewayContext,
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: NonNullable<ReturnType<typeof getOperationAST>>,
  logger: Logger,
): GraphQLRequestContextDidResolveOperation<GatewayContext> & ExecutionRequest {
  const source = request.query!;
  const graphqlRequest = {
    query: source,
    operationName: request.operationName ?? undefined,
    variables: request.variables,
    extensions: request.extensions,
    http: { method: 'POST', headers: request.headers, search: '', body: {} },
  };
  const shaped = {
    logger,
    request: graphqlRequest,
    response: { http: { headers: new HeaderMap() } },
    schema,
    contextValue: context,
    context,
    queryHash: createHash('sha256').update(source).digest('hex'),
    document,
    source,
    operationName: request.operationName ?? null,
    operation,
    metrics: {},
    requestIsBatched: false,
  };
  return shaped as unknown as GraphQLRequestContextDidResolveOperation<GatewayContext> & ExecutionRequest;
}

function refused(error: GraphQLError): Admission {
  return { kind: 'refused', errors: [error] };
}

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BadRequest } });
}

/** The error with `code` unless it has one (Apollo Server's codes for parse and validation errors). */
function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code !== undefined) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code },
  });
}
