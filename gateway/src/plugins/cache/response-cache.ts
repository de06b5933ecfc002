import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ANONYMOUS, type Identity } from '@tessera/service-kit';
import type { DocumentNode } from 'graphql';
import { responseEntry, type CachePolicy, type EntryAddress } from '../../cache/index.js';
import type { CacheContext } from './caching-data-source.js';
import type { CacheMetrics } from './metrics.js';
import type { CacheStore, Lookup } from './store.js';

/** What the response cache reads from, and leaves in, the request context. */
export interface ResponseCacheContext extends CacheContext {
  identity?: Identity;
  /** Set when authorization took something out of the operation: such answers carry errors, and are not kept. */
  authorization?: unknown;
  /** A miss to fill once the answer is known. */
  responseCache?: { address: EntryAddress; lookup: Lookup; policy: CachePolicy };
}

/** Options of {@link createResponseCachePlugin}. */
export interface ResponseCacheOptions {
  store: CacheStore;
  /** The policy of a client operation (`createOperationPolicies`). */
  policyOf: (document: DocumentNode, operationName: string | null) => CachePolicy | undefined;
  keyPrefix: string;
  metrics: CacheMetrics;
}

/**
 * Whole answers of public operations, on top of the entity and root-field caches: keyed by the
 * document as it will run (authorization's hash of it), the operation, the variables and what the
 * caller may see, and served before a query plan is even looked at. Only an answer with data and
 * no error is kept, for the smallest `maxAge` of what it holds, under the generations of the types
 * it reads (any write to one of them makes it stale: the entity cache below still serves the
 * entities that did not change). Operations reading anything `PRIVATE` are left to the caches
 * below, which keep private entities per caller.
 *
 * Apollo's `@apollo/server-plugin-response-cache` keys and stores much the same, but knows no
 * invalidation (TTLs only) and takes its policy from `Cache-Control` headers the subgraphs would
 * compute on every request; this reads the policy from the supergraph and checks generations.
 */
export function createResponseCachePlugin<C extends ResponseCacheContext>({
  store,
  policyOf,
  keyPrefix,
  metrics,
}: ResponseCacheOptions): ApolloServerPlugin<C> {
  const counted = (result: 'hit' | 'miss' | 'stale') => metrics.lookups.inc({ cache: 'response', subgraph: '-', type: '-', result });
  return {
    async requestDidStart({ contextValue }) {
      contextValue.cacheCounts = { hits: 0, misses: 0 };
      return {
        async responseForOperation({ operation, document, queryHash, operationName, request, contextValue: context }) {
          if (operation.operation !== 'query') return null;
          const policy = policyOf(document, operationName);
          if (!policy || policy.maxAge <= 0) return null;
          const address = queryHash
            ? responseEntry(keyPrefix, queryHash, operationName, request.variables, policy, context.identity ?? ANONYMOUS)
            : undefined;
          if (!address) return null;
          const [lookup] = await store.lookup([address]);
          if (lookup!.value === undefined) {
            counted(lookup!.stale ? 'stale' : 'miss');
            context.responseCache = { address, lookup: lookup!, policy };
            return null;
          }
          counted('hit');
          context.cacheCounts!.hits += 1;
          return {
            http: { status: 200, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: lookup!.value as Record<string, unknown> },
          };
        },
        async willSendResponse({ response, contextValue: context }) {
          const miss = context.responseCache;
          if (!miss || response.body.kind !== 'single' || context.authorization) return;
          const { data, errors } = response.body.singleResult;
          if (!data || errors?.length) return;
          void store.fill([
            {
              address: miss.address,
              generations: miss.lookup.generations,
              value: { data },
              ttlSeconds: miss.policy.maxAge,
              cache: 'response',
              subgraph: '-',
              type: '-',
            },
          ]);
        },
      };
    },
  };
}
