import { ApolloServerErrorCode } from '@apollo/server/errors';
import type { ErrorCode } from '@tessera/service-kit';
import { GraphQLError } from 'graphql';

/**
 * Every code the gateway puts in `extensions.code`, its own and those Apollo Server answers
 * with inside it. With the codes shared by every service (`ErrorCode` of service-kit, which
 * subgraph errors carry through the gateway) this is every code a client can see; the
 * README's error table lists exactly these, and a test holds the two together.
 */
export const GatewayErrorCode = {
  /** A subgraph could not be reached or answered with an HTTP error; `extensions.service` names it. */
  SubrequestHttpError: 'SUBREQUEST_HTTP_ERROR',
  /** Estimated cost over `COST_MAX`; `extensions.cost: { estimated, max }`. */
  CostTooExpensive: 'COST_ESTIMATED_TOO_EXPENSIVE',
  /** More aliased fields than `MAX_ALIASES`; `extensions.aliases: { measured, max }`. */
  MaxAliases: 'MAX_ALIASES_LIMIT',
  /** More fields (fragments expanded) than `MAX_QUERY_NODES`; `extensions.nodes: { measured, max }`. */
  MaxNodes: 'MAX_NODES_LIMIT',
  /** Introspection abuse: repeated `__schema` or a deep `ofType` chain; `extensions.introspection`. */
  IntrospectionLimit: 'INTROSPECTION_LIMIT',
  /** A field or type the caller may not see (`@authenticated`, `@requiresScopes`): taken out of the operation, null in the response; a mutation with one runs nothing. */
  UnauthorizedFieldOrType: 'UNAUTHORIZED_FIELD_OR_TYPE',
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

/**
 * An operation refused before planning (a limit, the persisted query list). HTTP 400, as the
 * GraphQL-over-HTTP spec gives for requests that cannot be executed; `details` carries the
 * numbers (e.g. `cost`).
 */
export function operationRejected(code: GatewayErrorCode | ErrorCode, message: string, details: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 }, ...details } });
}
