import { ApolloServerErrorCode } from '@apollo/server/errors';
import type { ErrorCode } from '@tessera/service-kit';
import { GraphQLError } from 'graphql';

/**
 * Every code the gateway puts in `extensions.code`, its own and those Apollo Server answers
 * with inside it. With the codes shared by every service (`ErrorCode` of service-kit, which
 * subgraph errors carry through the gateway) this is every code a client can see; the
 * error table of docs/errors.md lists exactly these, and a test holds the two together.
 */
export const GatewayErrorCode = {
  /** A subgraph could not be reached or answered with an HTTP error; `extensions.service` names it. */
  SubrequestHttpError: 'SUBREQUEST_HTTP_ERROR',
  /** A subgraph did not answer within its timeout (`SUBGRAPH_TIMEOUT_MS`) or the request's deadline (`REQUEST_TIMEOUT_MS`); `extensions.service`. */
  SubrequestTimeout: 'SUBREQUEST_TIMEOUT',
  /** The subgraph's circuit breaker is open after repeated failures: not called, failed at once; `extensions.service`. */
  SubrequestCircuitOpen: 'SUBREQUEST_CIRCUIT_OPEN',
  /** Too many calls to this subgraph in flight and queued (`SUBGRAPH_MAX_IN_FLIGHT`, `SUBGRAPH_MAX_QUEUED`); `extensions.service`. */
  SubrequestOverloaded: 'SUBREQUEST_OVERLOADED',
  /** The caller spent its rate limit (`RATE_LIMIT_POINTS` per `RATE_LIMIT_WINDOW_SECONDS`): HTTP 429 with `Retry-After`; `extensions.rateLimit`. */
  RateLimited: 'RATE_LIMITED',
  /** A malformed `Idempotency-Key` header (1 to 255 visible ASCII characters): HTTP 400. */
  IdempotencyKeyInvalid: 'IDEMPOTENCY_KEY_INVALID',
  /** Estimated cost over `COST_MAX`; `extensions.cost: { estimated, max }`. */
  CostTooExpensive: 'COST_ESTIMATED_TOO_EXPENSIVE',
  /** More aliased fields than `MAX_ALIASES`; `extensions.aliases: { measured, max }`. */
  MaxAliases: 'MAX_ALIASES_LIMIT',
  /** More selections (fields and fragments, fragments expanded) than `MAX_QUERY_NODES`; `extensions.nodes: { measured, max }`. */
  MaxNodes: 'MAX_NODES_LIMIT',
  /** More pairs of fields sharing a response key than `MAX_OVERLAPPING_FIELD_PAIRS` (validation compares each pair); `extensions.overlappingFieldPairs: { measured, max }`. */
  MaxOverlappingFields: 'MAX_OVERLAPPING_FIELDS_LIMIT',
  /** Introspection abuse: repeated `__schema` or a deep `ofType` chain; `extensions.introspection`. */
  IntrospectionLimit: 'INTROSPECTION_LIMIT',
  /** A field or type the caller may not see (`@authenticated`, `@requiresScopes`): taken out of the operation, null in the response; a mutation with one runs nothing. */
  UnauthorizedFieldOrType: 'UNAUTHORIZED_FIELD_OR_TYPE',
  /** One more subscription would be more than `SUBSCRIPTIONS_MAX_PER_CALLER` (or a connection's `SUBSCRIPTIONS_MAX_PER_CONNECTION`); `extensions.subscriptions.max`. */
  SubscriptionLimit: 'SUBSCRIPTION_LIMIT',
  /** A new supergraph no longer validates the subscription's document (a field it reads was removed): it ended. */
  SubscriptionSchemaChanged: 'SUBSCRIPTION_SCHEMA_CHANGED',
  /** Unknown APQ hash: the client resends with the query text (Apollo Server's code). */
  PersistedQueryNotFound: ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  /** The request's `sha256Hash` is not the hash of its query text. */
  PersistedQueryHashMismatch: 'PERSISTED_QUERY_HASH_MISMATCH',
  /** `enforce` mode: the operation is not in the published manifest. */
  PersistedQueryNotInList: 'PERSISTED_QUERY_NOT_IN_LIST',
  /** The request names an operation the document does not have, or has several and names none (Apollo Server's code). */
  OperationResolutionFailure: ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  /** The document does not parse, or has more tokens than `MAX_TOKENS` (Apollo Server's code). */
  GraphqlParseFailed: ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  /** The document is not valid against the API schema (Apollo Server's code). */
  GraphqlValidationFailed: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

/** Codes `pnpm schema:check` reports that are not GraphQL API errors. */
export const SchemaCheckCode = {
  /** A composition error without a code of its own. */
  CompositionFailed: 'COMPOSITION_ERROR',
} as const;

/**
 * A subgraph call that failed at the HTTP level. Named like Apollo Router's error so
 * clients that handle one handle both; the subgraph's URL stays in the logs, not in the response.
 */
export function subrequestHttpError(service: string, reason: string, status?: number): GraphQLError {
  return new GraphQLError(`HTTP fetch failed from '${service}': ${reason}`, {
    extensions: { code: GatewayErrorCode.SubrequestHttpError, service, reason, ...(status && { status }) },
  });
}

/** Why a subgraph call failed, as the subgraph policy reports it. */
export type SubrequestFailure =
  | { kind: 'failed'; failure: { kind: 'connection' | 'timeout' | 'status'; reason: string; status?: number } }
  | { kind: 'circuit-open' | 'overloaded' | 'deadline' };

/** The error a failed subgraph call gives the client: a code per cause, the subgraph named, no URL. */
export function subrequestFailure(service: string, failure: SubrequestFailure | undefined): GraphQLError {
  const error = (code: GatewayErrorCode, message: string) => new GraphQLError(message, { extensions: { code, service } });
  if (failure?.kind === 'circuit-open')
    return error(GatewayErrorCode.SubrequestCircuitOpen, `'${service}' is failing; not called while its circuit is open.`);
  if (failure?.kind === 'overloaded')
    return error(GatewayErrorCode.SubrequestOverloaded, `Too many calls to '${service}' are waiting; not called.`);
  const attempt = failure?.kind === 'failed' ? failure.failure : undefined;
  if (failure?.kind === 'deadline' || attempt?.kind === 'timeout')
    return error(GatewayErrorCode.SubrequestTimeout, `'${service}' did not answer in time.`);
  return subrequestHttpError(service, attempt?.reason ?? 'request failed', attempt?.status);
}

/**
 * An operation refused before planning (a limit, the persisted query list). HTTP 400, as the
 * GraphQL-over-HTTP spec gives for requests that cannot be executed; `details` carries the
 * numbers (e.g. `cost`).
 */
export function operationRejected(
  code: GatewayErrorCode | ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 }, ...details } });
}
