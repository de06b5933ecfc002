import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import { Agent, request } from 'undici';

/** Options of {@link createUndiciFetcher}. */
export interface UndiciFetcherOptions {
  /** Keep-alive connections per subgraph origin. @default 128 */
  connections?: number;
  /** Time allowed for a subgraph's response headers and body, in ms. @default 30_000 */
  timeoutMs?: number;
}

/** The fetcher plus a way to close its pooled connections on shutdown. */
export interface PooledFetcher {
  fetcher: Fetcher;
  close(): Promise<void>;
}

/**
 * A `Fetcher` for `RemoteGraphQLDataSource` on a pooled undici `Agent` with keep-alive.
 * Apollo's default (make-fetch-happen) spends about a third of the gateway's CPU on a
 * federated workload here; `undici.request` roughly doubles per-core throughput.
 */
export function createUndiciFetcher({ connections = 128, timeoutMs = 30_000 }: UndiciFetcherOptions = {}): PooledFetcher {
  const dispatcher = new Agent({ connections, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const fetcher: Fetcher = async (url, init = {}) => {
    const response = await request(url, {
      method: init.method ?? 'GET',
      headers: init.headers,
      body: init.body,
      // Apollo's Fetcher types the signal `any`; the subgraph data source passes an AbortSignal (or none).
      signal: init.signal as AbortSignal | undefined,
      dispatcher,
    });
    const text = await response.body.text();
    return toFetcherResponse(url, response.statusCode, response.headers, text);
  };
  return { fetcher, close: () => dispatcher.close() };
}

function toFetcherResponse(
  url: string,
  status: number,
  rawHeaders: Record<string, string | string[] | undefined>,
  text: string,
): FetcherResponse {
  const headers = new Headers();
  for (const [name, value] of Object.entries(rawHeaders)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const response: FetcherResponse = {
    url,
    status,
    ok: status >= 200 && status < 300,
    statusText: '',
    redirected: false,
    bodyUsed: false,
    headers,
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
    arrayBuffer: async () => new TextEncoder().encode(text).buffer,
    clone: () => toFetcherResponse(url, status, rawHeaders, text),
  };
  return response;
}
