/**
 * What modern clients (Apollo Client among them) accept: the GraphQL-over-HTTP media type
 * first, under which a request error keeps its 4xx status. Under the legacy
 * `application/json` alone it would be 200 with `errors`.
 */
export const GRAPHQL_RESPONSE_ACCEPT = 'application/graphql-response+json, application/json;q=0.9';

/** One error of a GraphQL response, as the services format them. */
export interface GraphQLResponseError {
  message: string;
  path?: Array<string | number>;
  locations?: Array<{ line: number; column: number }>;
  /** `code` always (the services' contract); the rest depends on the code (`field`, `service`, `cost`, …). */
  extensions?: { code?: string } & Record<string, unknown>;
}

/**
 * A GraphQL response body. `TData` is the shape of `data` the caller expects for its operation
 * (written beside the query); `TExtensions` that of the top-level `extensions`.
 */
export interface GraphQLResponse<TData = Record<string, unknown>, TExtensions = Record<string, unknown>> {
  data?: TData | null;
  errors?: GraphQLResponseError[];
  extensions?: TExtensions;
}

/** The earlier name of {@link GraphQLResponse} (with `data` untyped). */
export type GraphQLBody = GraphQLResponse;

/** The body of a GraphQL request over HTTP. */
export interface GraphQLRequest {
  query?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  extensions?: Record<string, unknown>;
}

/** What {@link postGraphQL} answers: the HTTP status and headers, and the parsed body. */
export interface GraphQLHttpResponse<TData = Record<string, unknown>, TExtensions = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: GraphQLResponse<TData, TExtensions>;
}

/**
 * POSTs a GraphQL request to `url` as a modern client does (JSON, {@link GRAPHQL_RESPONSE_ACCEPT});
 * `request` is the body, or its text as it is (a batch, a malformed or padded body). `headers`
 * are added, and may replace `accept`. The body must be JSON: anything else rejects.
 */
export async function postGraphQL<TData = Record<string, unknown>, TExtensions = Record<string, unknown>>(
  url: string,
  request: GraphQLRequest | string,
  headers: Record<string, string> = {},
): Promise<GraphQLHttpResponse<TData, TExtensions>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE_ACCEPT, ...headers },
    body: typeof request === 'string' ? request : JSON.stringify(request),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse<TData, TExtensions> };
}

/** The `extensions.code` of each error of a response, in order (undefined for an error without one). */
export function errorCodes(body: Pick<GraphQLResponse<unknown>, 'errors'>): Array<string | undefined> {
  return (body.errors ?? []).map((error) => error.extensions?.code);
}

/** A connection of the API (`users`, `products`, `reviews`) as far as an operation selects it. */
export interface Connection<TNode> {
  edges: Array<{ cursor?: string; node: TNode }>;
  pageInfo?: { hasNextPage: boolean; endCursor?: string | null };
}
