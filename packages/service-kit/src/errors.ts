import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

/**
 * Codes every Tessera service may put in `extensions.code`. The gateway adds its own
 * (`GatewayErrorCode`); between them they are every code a client can see.
 */
export const ErrorCode = {
  /** Invalid argument or input field; `extensions.field` names it (e.g. `input.rating`). */
  BadUserInput: 'BAD_USER_INPUT',
  /** The thing asked for does not exist; `extensions.id`. */
  NotFound: 'NOT_FOUND',
  /** Malformed HTTP request, batching off, CSRF check failed (HTTP 400). Apollo Server's own code. */
  BadRequest: 'BAD_REQUEST',
  /** Body over the size limit (HTTP 413); `extensions.maxBytes`. */
  RequestTooLarge: 'REQUEST_TOO_LARGE',
  /** A batch of more operations than allowed (HTTP 400); `extensions.batch: { measured, max }`. */
  BatchLimit: 'BATCH_LIMIT_EXCEEDED',
  /** Fields nested deeper than the limit (the gateway's `MAX_DEPTH`, a subgraph's `SUBGRAPH_MAX_DEPTH`); `extensions.depth: { measured, max }`. */
  MaxDepth: 'MAX_DEPTH_LIMIT',
  /** A subgraph request resolving more `_entities` representations than `SUBGRAPH_MAX_ENTITIES`; `extensions.entities: { measured, max }`. */
  MaxEntities: 'MAX_ENTITIES_LIMIT',
  /** No valid credentials: a bad bearer token at the gateway, a missing or bad gateway signature at a subgraph (HTTP 401). */
  Unauthenticated: 'UNAUTHENTICATED',
  /** The caller is known but may not do this (another user's review, a missing scope); nothing was done. */
  Forbidden: 'FORBIDDEN',
  /** More requests in flight and queued than the service takes (`MAX_IN_FLIGHT_REQUESTS`, `MAX_QUEUED_REQUESTS`): HTTP 503 with `Retry-After`. */
  ServiceOverloaded: 'SERVICE_OVERLOADED',
  /** The request's time budget (the gateway's `REQUEST_TIMEOUT_MS`, passed along) ran out here; the work was stopped. */
  DeadlineExceeded: 'DEADLINE_EXCEEDED',
  /** A subgraph cannot reach its database (refused, timed out waiting for a connection, shutting down); try again later. */
  DatabaseUnavailable: 'DATABASE_UNAVAILABLE',
  /** A subgraph could not get an answer from another service it depends on (reviews asks users and products whether ids exist); nothing was written; try again. */
  UpstreamUnavailable: 'UPSTREAM_UNAVAILABLE',
  /** An `Idempotency-Key` already used for a different operation or input (HTTP 422); nothing was done. */
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  /**
   * A subscription cannot resume where it asked: the events after its resume point are no longer kept
   * (`EVENT_RETENTION_SECONDS`), or its topic never reached it. Subscribe again without one; `extensions.events: { after, oldest, latest }`.
   */
  EventsExpired: 'EVENTS_EXPIRED',
  /** A subscription fell further behind its events than a subgraph buffers for it, and was ended; resume after the last event received. */
  SubscriberTooSlow: 'SUBSCRIBER_TOO_SLOW',
  /** Anything unexpected; details only in the log. */
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

/** No identity where one is needed (the gateway checks `@authenticated` first; this is the subgraph's own check). */
export function unauthenticated(message = 'Sign in to do this.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Unauthenticated } });
}

/** The caller may not do this; `extra` says what would allow it (e.g. `{ scope: 'users:write' }`). */
export function forbidden(message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Forbidden, ...extra } });
}

/** The request's time budget ran out before this work could be done. */
export function deadlineExceeded(message = 'The request ran out of time.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.DeadlineExceeded } });
}

/** The body of an error answered outside GraphQL execution (HTTP-level rejections), in GraphQL's shape. */
export function errorBody(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extensions } }] };
}

/** Codes an infrastructure failure (not a bug) is reported with, and what the client reads. */
export type InfrastructureCode = typeof ErrorCode.DatabaseUnavailable | typeof ErrorCode.DeadlineExceeded;
const INFRASTRUCTURE_MESSAGES: Record<InfrastructureCode, string> = {
  DATABASE_UNAVAILABLE: 'The database is unavailable; try again later.',
  DEADLINE_EXCEEDED: 'The request ran out of time.',
};

/** Options of {@link createFormatError}. */
export interface FormatErrorOptions {
  /** Recognises infrastructure failures (a database that is down) among unexpected errors: their code, not a masked 500. */
  classify?: (error: unknown) => InfrastructureCode | undefined;
  /**
   * Takes graphql-js's suggestions ("Did you mean "email"?") out of every message: where
   * introspection is off they would rebuild the schema name by name. @default false
   */
  hideSuggestions?: boolean;
}

/** graphql-js ends a message with its suggestions: ` Did you mean "a", "b", or "c"?`, ` Did you mean the enum value "X"?`. */
const SUGGESTION = /\s*Did you mean [^]*\?$/;

/** A message without graphql-js's suggestions. */
export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/**
 * An Apollo `formatError` that passes deliberate errors (a GraphQLError thrown by our
 * code or by GraphQL validation, which carries a code) through, and replaces anything
 * unexpected — a driver error, a bug — by a generic message. The original is logged in full,
 * so the client learns nothing about internals and the operator loses nothing.
 */
export function createFormatError(logger: Logger, { classify = () => undefined, hideSuggestions = false }: FormatErrorOptions = {}) {
  const format = formatWith(logger, classify);
  if (!hideSuggestions) return format;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // Apollo hides suggestions in validation errors only; variable coercion (`Field "emal" is
    // not defined by type "CreateUserInput". Did you mean "email"?`) has them too.
    const result = format(formatted, error);
    return SUGGESTION.test(result.message) ? { ...result, message: withoutSuggestions(result.message) } : result;
  };
}

function formatWith(logger: Logger, classify: NonNullable<FormatErrorOptions['classify']>) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // Apollo gives every error a code and INTERNAL_SERVER_ERROR to anything not thrown on
    // purpose. The code is checked rather than `instanceof GraphQLError`: the gateway's
    // CommonJS dependencies can hand over errors from another copy of graphql-js.
    const code = formatted.extensions?.code;
    // The client is told a dependency failed; the operator needs what failed.
    if (code === ErrorCode.UpstreamUnavailable)
      logger.warn({ err: unwrapResolverError(error), path: formatted.path }, 'a service this one depends on did not answer');
    if (code !== undefined && code !== ErrorCode.InternalServerError) return withoutStacktrace(formatted);
    const original = unwrapResolverError(error);
    const known = classify(original);
    if (known) {
      logger.warn({ err: original, path: formatted.path, code: known }, 'operation failed on infrastructure');
      return { message: INFRASTRUCTURE_MESSAGES[known], locations: formatted.locations, path: formatted.path, extensions: { code: known } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error while executing an operation');
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
