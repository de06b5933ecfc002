import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';

/** Codes every Tessera service may put in `extensions.code`. */
export const ErrorCode = {
  BadUserInput: 'BAD_USER_INPUT',
  NotFound: 'NOT_FOUND',
  InternalServerError: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Invalid client input; `field` names the offending argument or input field (e.g. `input.rating`). */
export function badUserInput(message: string, field: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BadUserInput, field, ...extra } });
}

/** The thing asked for does not exist. */
export function notFound(message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.NotFound, ...extra } });
}

/**
 * An Apollo `formatError` that passes deliberate errors (a GraphQLError thrown by our
 * code or by GraphQL validation, which carries a code) through, and replaces anything
 * unexpected — a driver error, a bug — by a generic message. The original is logged in full,
 * so the client learns nothing about internals and the operator loses nothing.
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // Apollo gives every error a code and INTERNAL_SERVER_ERROR to anything not thrown on
    // purpose. The code is checked rather than `instanceof GraphQLError`: the gateway's
    // CommonJS dependencies can hand over errors from another copy of graphql-js.
    const code = formatted.extensions?.code;
    if (code !== undefined && code !== ErrorCode.InternalServerError) return withoutStacktrace(formatted);
    logger.error({ err: unwrapResolverError(error), path: formatted.path }, 'unexpected error while executing an operation');
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.InternalServerError },
    };
  };
}

function withoutStacktrace(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _dropped, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
