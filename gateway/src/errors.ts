import { GraphQLError } from 'graphql';

/** Codes the gateway itself puts in `extensions.code` (subgraphs' own codes pass through). */
export const GatewayErrorCode = {
  /** A subgraph could not be reached or answered with an HTTP error; `extensions.service` names it. */
  SubrequestHttpError: 'SUBREQUEST_HTTP_ERROR',
  /** Estimated cost over `COST_MAX`; `extensions.cost: { estimated, max }`. */
  CostTooExpensive: 'COST_ESTIMATED_TOO_EXPENSIVE',
  /** Fields nested deeper than `MAX_DEPTH`; `extensions.depth: { measured, max }`. */
  MaxDepth: 'MAX_DEPTH_LIMIT',
  /** More aliased fields than `MAX_ALIASES`; `extensions.aliases: { measured, max }`. */
  MaxAliases: 'MAX_ALIASES_LIMIT',
  /** More fields (fragments expanded) than `MAX_QUERY_NODES`; `extensions.nodes: { measured, max }`. */
  MaxNodes: 'MAX_NODES_LIMIT',
  /** Introspection abuse: repeated `__schema` or a deep `ofType` chain; `extensions.introspection`. */
  IntrospectionLimit: 'INTROSPECTION_LIMIT',
  /** A batch of more operations than `MAX_BATCH_OPERATIONS`. */
  BatchLimit: 'BATCH_LIMIT_EXCEEDED',
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

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
 * An operation rejected before planning. HTTP 400, as the GraphQL-over-HTTP spec gives
 * for requests that cannot be executed; `details` carries the numbers (e.g. `cost`).
 */
export function limitError(code: GatewayErrorCode, message: string, details: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details, http: { status: 400 } } });
}
