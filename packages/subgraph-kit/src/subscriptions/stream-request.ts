import { ApolloServerErrorCode } from '@apollo/server/errors';
import { badUserInput } from '@tessera/service-kit';
import {
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import type { OperationGuard } from '../request-guards.js';

/** A subscription as its event stream runs it. */
export interface StreamOperation {
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  /** The `seq` of the last event the client received: it gets the ones after it. */
  after: number | undefined;
}

/** What {@link readStreamOperation} checks a request against. */
export interface StreamRules {
  schema: GraphQLSchema;
  /** The subgraph's own request limits. */
  guard: OperationGuard;
  /** Introspection allowed (else validation refuses `__schema` and `__type`, as Apollo does). */
  introspection: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Digits only: a resume point is an event's `seq` as its `id:` line carried it. */
const SEQ = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The subscription a stream request asks for (`{ query, variables, operationName, extensions }`,
 * its shape already checked by the HTTP server), or why it cannot run: a parse error, a validation
 * error, the subgraph's own limits, anything but a subscription, a resume point that is not an
 * event id. The resume point is `extensions.lastEventId`, else the `Last-Event-ID` header.
 */
export function readStreamOperation(
  body: unknown,
  lastEventIdHeader: string | undefined,
  rules: StreamRules,
): StreamOperation | GraphQLError[] {
  const params = isObject(body) ? body : {};
  const extensions = isObject(params.extensions) ? params.extensions : {};
  const variables = isObject(params.variables) ? params.variables : {};
  const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
  const after = resumePoint(extensions.lastEventId ?? lastEventIdHeader);
  if (after instanceof GraphQLError) return [after];
  let document: DocumentNode;
  try {
    document = parse(typeof params.query === 'string' ? params.query : '');
  } catch (error) {
    return [withCode(error as GraphQLError, ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)];
  }
  const validationRules = rules.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  const invalid = validate(rules.schema, document, validationRules);
  if (invalid.length) return invalid.map((error) => withCode(error, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED));
  const operation = getOperationAST(document, operationName);
  if (!operation) return [requestError('`operationName` names no operation of the document, or it has several and names none.')];
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
    return [requestError(`Only a subscription is served as an event stream; send a ${operation.operation} as JSON.`)];
  }
  try {
    rules.guard({ document, operationName, variables, schema: rules.schema });
  } catch (error) {
    return [error as GraphQLError];
  }
  return { document, operationName, variables, after };
}

/** A resume point: an event's id as sent back (a string of digits, or a number), or none. */
function resumePoint(value: unknown): number | undefined | GraphQLError {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !SEQ.test(text) || !Number.isSafeInteger(Number(text))) {
    return badUserInput('A resume point must be the id of an event received (a whole number).', 'extensions.lastEventId');
  }
  return Number(text);
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code } });
}

function requestError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ApolloServerErrorCode.BAD_REQUEST } });
}
