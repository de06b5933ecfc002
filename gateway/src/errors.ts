import { GraphQLError } from 'graphql';

/** Codes the gateway itself puts in `extensions.code` (subgraphs' own codes pass through). */
export const GatewayErrorCode = {
  /** A subgraph could not be reached or answered with an HTTP error; `extensions.service` names it. */
  SubrequestHttpError: 'SUBREQUEST_HTTP_ERROR',
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
