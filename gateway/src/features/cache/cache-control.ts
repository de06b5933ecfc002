import type { ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode, type DocumentNode } from 'graphql';
import type { GatewayContext } from '../../pipeline/index.js';
import type { CachePolicy } from './policy.js';

/** Options of {@link createCacheControlPlugin}. */
export interface CacheControlOptions {
  /** The policy of a client operation (`createOperationPolicies`). */
  policyOf: (document: DocumentNode, operationName: string | null) => CachePolicy | undefined;
  /** The longest `max-age` sent (`APQ_GET_MAX_AGE_SECONDS`), whatever the hints allow. @default 60 */
  maxAgeSeconds?: number;
  /** Request headers that can change an answer, named in `Vary`. */
  varyHeaders: readonly string[];
  /** Whether authorization took something out of the operation (its answer carries errors: `no-store`). */
  filtered: (context: GatewayContext) => boolean;
  /** Entries served from the caches, and fetched, for a request: set, `x-tessera-cache: hit | miss | partial` on every answer (development). */
  countsOf?: (context: GatewayContext) => { hits: number; misses: number } | undefined;
}

/**
 * `Cache-Control` on the answers to GET queries, from the supergraph's hints, so a CDN can hold
 * public ones (persisted queries by hash above all): `public, max-age=<the smallest hint>` for an
 * anonymous caller's public answer, `private, max-age=…` for a signed-in caller's, and `no-store`
 * whenever anything private is in the answer, an error is, a hint says 0, or the answer comes in
 * parts (`@defer`: its headers leave before its last part). POSTs are not cached
 * by HTTP caches; they get no header.
 */
export function createCacheControlPlugin({
  policyOf,
  maxAgeSeconds = 60,
  varyHeaders,
  filtered,
  countsOf,
}: CacheControlOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ request }) {
      return {
        async willSendResponse({ response, document, operation, operationName, errors, contextValue }) {
          const counts = countsOf?.(contextValue);
          if (counts) response.http.headers.set('x-tessera-cache', cacheStatus(counts));
          if (request.http?.method !== 'GET' || !document || operation?.operation !== OperationTypeNode.QUERY) return;
          const policy = policyOf(document, operationName ?? null);
          const maxAge = Math.min(policy?.maxAge ?? 0, maxAgeSeconds);
          // An answer in parts gets its headers before its last part: an error there could no longer make it `no-store`.
          const whole = response.body.kind === 'single';
          const cacheable = whole && policy?.scope === 'PUBLIC' && maxAge > 0 && !errors?.length && !filtered(contextValue);
          const audience = contextValue.identity.sub === undefined ? 'public' : 'private';
          response.http.headers.set('cache-control', cacheable ? `${audience}, max-age=${maxAge}` : 'no-store');
          if (cacheable) response.http.headers.set('vary', varyHeaders.join(', '));
        },
      };
    },
  };
}

/** hit: everything came from a cache; miss: nothing did; partial: some of it. */
function cacheStatus({ hits, misses }: { hits: number; misses: number }): 'hit' | 'miss' | 'partial' {
  if (hits > 0 && misses === 0) return 'hit';
  return hits > 0 ? 'partial' : 'miss';
}
