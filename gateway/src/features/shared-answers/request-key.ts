import { REQUEST_ID_HEADER, TRACEPARENT_HEADER } from '@tessera/service-kit';

/**
 * Request headers that cannot change an answer: the connection's, the client software's, a
 * request's own id and trace, the forwarded address (the rate limit reads it per request, and
 * charges each request that shares an answer itself).
 */
const IGNORED_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'content-length',
  'user-agent',
  REQUEST_ID_HEADER,
  TRACEPARENT_HEADER,
  'tracestate',
  'baggage',
  'x-forwarded-for',
  'x-real-ip',
  'forwarded',
]);

/** What the key reads of a request. */
export interface KeyedRequest {
  method: string;
  /** The request target as sent: path and query string (a GET's operation). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** A POST's JSON body as the text it arrived as. */
  rawBody?: string;
  /** The parsed body: a batch (an array) is never shared. */
  body?: unknown;
}

/**
 * What makes two HTTP requests the same request: method, target, body as sent and every header
 * but those above (the caller's token, the media type asked for, the developer key, the origin,
 * cookies — anything that may change the answer, including headers this gateway does not read
 * today). `undefined` for what is never shared: batches, and a POST whose body was not JSON.
 * The encoding is a JSON array, so no two different requests share a key.
 */
export function requestKey(request: KeyedRequest): string | undefined {
  if (request.method !== 'GET' && request.method !== 'POST') return undefined;
  if (request.method === 'POST' && (request.rawBody === undefined || Array.isArray(request.body))) return undefined;
  const headers: Array<[string, string | string[]]> = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !IGNORED_HEADERS.has(name)) headers.push([name, value]);
  }
  headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([request.method, request.url, request.rawBody ?? null, headers]);
}
