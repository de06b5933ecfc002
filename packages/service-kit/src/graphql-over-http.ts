import type { ApolloServerPlugin, BaseContext, HTTPGraphQLRequest } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLError } from 'graphql';
import Negotiator from 'negotiator';
import { ErrorCode, errorBody } from './errors.js';

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
          // A request that is not well-formed keeps its 400 under any media type.
          if (response.body.singleResult.errors?.some((error) => error.extensions?.code === ErrorCode.BadRequest)) return;
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
  return mediaTypeFor(request.headers.get('accept') ?? undefined);
}

function mediaTypeFor(accept: string | undefined): string | undefined {
  if (!accept) return LEGACY_JSON;
  return new Negotiator({ headers: { accept } }).mediaType([LEGACY_JSON, GRAPHQL_RESPONSE_JSON]);
}

/**
 * Answers, before Apollo, a well-formed request that GraphQL refuses (an operation over a limit,
 * a spent rate limit) as Apollo would answer it: `errors` with the error's status — 400 becoming
 * 200 for a client of the legacy `application/json`, as {@link createGraphQLOverHttpPlugin} does —
 * its headers (`Retry-After`), and the media type the client accepts.
 */
export function replyWithGraphQLError(request: FastifyRequest, reply: FastifyReply, error: GraphQLError) {
  const http = error.extensions.http as { status?: number; headers?: Map<string, string> } | undefined;
  const mediaType = mediaTypeFor(request.headers.accept) ?? LEGACY_JSON;
  const status = http?.status ?? 400;
  for (const [name, value] of http?.headers ?? []) void reply.header(name, value);
  const { http: _http, ...extensions } = error.extensions;
  return reply
    .code(mediaType === LEGACY_JSON && REQUEST_ERROR_STATUSES.has(status) ? 200 : status)
    .type(mediaType)
    .send({ errors: [{ message: error.message, extensions }] });
}

/** Longest `sha256Hash` taken: a SHA-256 in hex is 64 characters; a manifest id may be another string. */
const MAX_PERSISTED_ID_LENGTH = 256;

/**
 * A Fastify `preHandler` for the GraphQL route: a GET or POST that is not a well-formed
 * GraphQL-over-HTTP request is refused 400 `BAD_REQUEST` whatever media type the client accepts,
 * before Apollo sees it — `query` a number or `false` (Apollo took those for "no query" and
 * answered 200 under `application/json`), `variables` or `extensions` that are not objects, a
 * `persistedQuery` extension that is not `{ version: 1, sha256Hash: "…" }` (Apollo answered a
 * string one 500, an object or number hash "not found"), neither a query nor a persisted query.
 */
export function createRequestShapeHook() {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const problem = request.method === 'POST' ? postProblem(request.body) : request.method === 'GET' ? getProblem(request.query) : null;
    if (problem === null) return;
    return reply.code(400).type('application/json; charset=utf-8').send(errorBody(problem, ErrorCode.BadRequest));
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with a POST body's GraphQL parameters (each operation of a batch), or null. */
function postProblem(body: unknown): string | null {
  if (!Array.isArray(body)) return operationProblem(body);
  if (body.length === 0) return 'A batch must hold at least one operation.';
  // One level only: a batch is a list of objects (a list nested 100,000 deep is not walked).
  for (const [i, operation] of body.entries()) {
    const problem = operationProblem(operation);
    if (problem !== null) return `Operation ${i} of the batch: ${problem}`;
  }
  return null;
}

function operationProblem(body: unknown): string | null {
  if (!isObject(body)) return 'The body must be a JSON object of GraphQL request parameters.';
  if (body.query !== undefined && body.query !== null && typeof body.query !== 'string') return '`query` must be a string.';
  if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string')
    return '`operationName` must be a string.';
  if (body.variables !== undefined && body.variables !== null && !isObject(body.variables)) return '`variables` must be an object.';
  return extensionsProblem(body.extensions, typeof body.query === 'string' && body.query !== '');
}

/** What is wrong with a GET's GraphQL parameters (its query string, parsed), or null. */
function getProblem(search: unknown): string | null {
  const params = isObject(search) ? search : {};
  // A bare GET is Apollo's: the landing page in development, else its own 400 BAD_REQUEST.
  if (params.query === undefined && params.extensions === undefined) return null;
  // Repeated parameters, and variables that are not JSON, are Apollo's to refuse (400 BAD_REQUEST).
  if (typeof params.extensions !== 'string') return extensionsProblem(undefined, typeof params.query === 'string' && params.query !== '');
  let extensions: unknown;
  try {
    extensions = JSON.parse(params.extensions);
  } catch {
    return '`extensions` must be a JSON object.';
  }
  return extensionsProblem(extensions, typeof params.query === 'string' && params.query !== '');
}

function extensionsProblem(extensions: unknown, hasQuery: boolean): string | null {
  if (extensions !== undefined && extensions !== null && !isObject(extensions)) return '`extensions` must be an object.';
  const persisted = extensions?.persistedQuery;
  if (persisted === undefined) return hasQuery ? null : 'A GraphQL request needs a non-empty `query`, or a `persistedQuery` extension.';
  const hash = isObject(persisted) ? persisted.sha256Hash : undefined;
  if (!isObject(persisted) || persisted.version !== 1 || typeof hash !== 'string' || hash === '' || hash.length > MAX_PERSISTED_ID_LENGTH) {
    return '`extensions.persistedQuery` must be { "version": 1, "sha256Hash": "<the query\'s SHA-256, hex>" }.';
  }
  return null;
}

/** The GraphQL operations a request carries as text: the POST body's (each of a batch's), or a GET's query string. */
export function operationTexts(
  request: Pick<FastifyRequest, 'method' | 'body' | 'query'>,
): Array<{ query: string; operationName: string | undefined }> {
  const params = request.method === 'GET' ? [request.query] : Array.isArray(request.body) ? request.body : [request.body];
  return params.flatMap((param) => {
    if (!isObject(param) || typeof param.query !== 'string' || param.query === '') return [];
    return [{ query: param.query, operationName: typeof param.operationName === 'string' ? param.operationName : undefined }];
  });
}
