import type { Fetcher } from '@apollo/utils.fetcher';
import { SIGNATURE_HEADER, SIGNED_HEADERS, signRequest, type SignedHeader, type SigningKey } from '@tessera/service-kit';

/**
 * Signs every subgraph request with `key` (HMAC-SHA256 over method, path, body and the headers
 * a subgraph acts on — the forwarded identity, the time budget, the read position — with a timestamp and a
 * nonce): subgraphs answer the gateway only, and trust what it says only under this signature.
 * Wraps the fetcher because only there are the body and headers final, byte for byte.
 */
export function createSigningFetcher(fetcher: Fetcher, key: SigningKey): Fetcher {
  return (url, init = {}) => {
    const headers = new Headers(init.headers);
    const { pathname, search } = new URL(url);
    const body = typeof init.body === 'string' ? init.body : undefined;
    const signed: Partial<Record<SignedHeader, string>> = {};
    for (const name of SIGNED_HEADERS) {
      const value = headers.get(name);
      if (value !== null) signed[name] = value;
    }
    headers.set(SIGNATURE_HEADER, signRequest({ method: init.method ?? 'GET', path: pathname + search, body, headers: signed }, key));
    return fetcher(url, { ...init, headers: Object.fromEntries(headers) });
  };
}
