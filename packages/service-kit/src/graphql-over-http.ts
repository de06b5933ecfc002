import type { ApolloServerPlugin, BaseContext, HTTPGraphQLRequest } from '@apollo/server';
import Negotiator from 'negotiator';

/** The response media types of GraphQL over HTTP, as Apollo Server writes them. */
const LEGACY_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
/** Statuses of a well-formed request GraphQL refused: invalid, over a limit, not allowed. */
const REQUEST_ERROR_STATUSES = new Set([400, 401, 403]);

/**
 * Status codes as the GraphQL-over-HTTP spec gives them. Apollo Server answers a parse,
 * validation or variable error with 400 (and Tessera a refused operation with 400, 401 or 403)
 * whatever the client accepts; the spec asks for that only with `application/graphql-response+json`. A client of the legacy `application/json`
 * (the default when it names neither) gets 200 with `errors`, since for it a status other
 * than 200 means the request never reached GraphQL. Requests that are not well-formed (bad
 * JSON, a wrong method, a body too large) are refused before GraphQL and keep their status.
 */
export function createGraphQLOverHttpPlugin<C extends BaseContext>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart({ request }) {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || !REQUEST_ERROR_STATUSES.has(response.http.status ?? 200) || !request.http) return;
          if (responseMediaType(request.http) !== LEGACY_JSON) return;
          response.http.status = 200;
          // Set here, with the status it explains, rather than chosen again by Apollo Server.
          response.http.headers.set('content-type', LEGACY_JSON);
        },
      };
    },
  };
}

/** The media type Apollo Server answers a single result with, from the request's `accept` (as it negotiates it). */
export function responseMediaType(request: Pick<HTTPGraphQLRequest, 'headers'>): string | undefined {
  const accept = request.headers.get('accept');
  if (!accept) return LEGACY_JSON;
  return new Negotiator({ headers: { accept } }).mediaType([LEGACY_JSON, GRAPHQL_RESPONSE_JSON]);
}
