import type { Fetcher } from '@apollo/utils.fetcher';
import { IDENTITY_HEADER, SIGNATURE_HEADER, signRequest, type SigningKey } from '@tessera/service-kit';

/**
 * Signs every subgraph request with `key` (HMAC-SHA256 over method, path, body and the
 * forwarded identity, with a timestamp and a nonce): subgraphs answer the gateway only, and
 * trust the identity only under this signature. Wraps the fetcher because only there is the
 * body final, byte for byte.
 */
export function createSigningFetcher(fetcher: Fetcher, key: SigningKey): Fetcher {
  return (url, init = {}) => {
    const headers = new Headers(init.headers as HeadersInit | undefined);
    const { pathname, search } = new URL(url);
    const body = typeof init.body === 'string' ? init.body : undefined;
    headers.set(SIGNATURE_HEADER, signRequest({ method: init.method ?? 'GET', path: pathname + search, body, identity: headers.get(IDENTITY_HEADER) ?? undefined }, key));
    return fetcher(url, { ...init, headers: Object.fromEntries(headers) });
  };
}
