import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode, type DocumentNode } from 'graphql';
import { joinedExecution, withWholeAnswer, type GatewayContext, type SubsequentResult } from '../../pipeline/index.js';
import { responseEntry, type EntryAddress } from './entries.js';
import type { CacheMetrics } from './metrics.js';
import type { CachePolicy } from './policy.js';
import type { CacheStore, Lookup } from './store.js';

/** Options of {@link createResponseCachePlugin}. */
export interface ResponseCacheOptions {
  store: CacheStore;
  /** The policy of a client operation (`createOperationPolicies`). */
  policyOf: (document: DocumentNode, operationName: string | null) => CachePolicy | undefined;
  keyPrefix: string;
  metrics: CacheMetrics;
  /** Whether authorization took something out of the operation: its answer is the caller's alone, never kept or served. */
  filtered: (context: GatewayContext) => boolean;
  /** Told of a request answered from this cache (`x-tessera-cache`). */
  count?: (context: GatewayContext, hit: boolean) => void;
}

/** A miss to fill once the answer is known. */
interface Miss {
  address: EntryAddress;
  lookup: Lookup;
  policy: CachePolicy;
}

type Answer = { data?: Record<string, unknown> | null; errors?: readonly unknown[] };

/** Keeps an answer with data and no error, under the generations its lookup read. */
function keepAnswer(store: CacheStore, { address, lookup, policy }: Miss, { data, errors }: Answer): void {
  if (!data || errors?.length) return;
  void store.fill([
    { address, generations: lookup.generations, value: { data }, ttlSeconds: policy.maxAge, cache: 'response', subgraph: '-', type: '-' },
  ]);
}

/**
 * Whole answers of public operations, on top of the entity and root-field caches: keyed by the
 * document, the operation, the variables and what the caller may see, and served before a query
 * plan is even looked at. Only an answer with data and no error is kept (an answer in parts once
 * all its parts are out, merged, and only if none had an error; a hit is served whole), for the smallest
 * `maxAge` of what it holds, under the generations of the types it reads (any write to one of
 * them makes it stale: the entity cache below still serves the entities that did not change).
 * Operations reading anything `PRIVATE`, and operations authorization took something out of, are
 * left to the caches below, which keep private entities per caller.
 *
 * Apollo's `@apollo/server-plugin-response-cache` keys and stores much the same, but knows no
 * invalidation (TTLs only) and takes its policy from `Cache-Control` headers the subgraphs would
 * compute on every request; this reads the policy from the supergraph and checks generations.
 */
export function createResponseCachePlugin({
  store,
  policyOf,
  keyPrefix,
  metrics,
  filtered,
  count,
}: ResponseCacheOptions): ApolloServerPlugin<GatewayContext> {
  const counted = (result: 'hit' | 'miss' | 'stale') => metrics.lookups.inc({ cache: 'response', subgraph: '-', type: '-', result });
  const misses = new WeakMap<GatewayContext, Miss>();
  const keep = (miss: Miss, answer: Answer) => keepAnswer(store, miss, answer);
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ operation, document, queryHash, operationName, request, contextValue: context }) {
          if (operation.operation !== OperationTypeNode.QUERY || filtered(context)) return null;
          const policy = policyOf(document, operationName);
          if (!policy || policy.maxAge <= 0) return null;
          const address = queryHash
            ? responseEntry(keyPrefix, queryHash, operationName, request.variables, policy, context.identity)
            : undefined;
          if (!address) return null;
          const [lookup] = await store.lookup([address]);
          if (lookup!.value === undefined) {
            counted(lookup!.stale ? 'stale' : 'miss');
            misses.set(context, { address, lookup: lookup!, policy });
            return null;
          }
          counted('hit');
          count?.(context, true);
          return {
            http: { status: 200, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: lookup!.value as Record<string, unknown> },
          };
        },
        async willSendResponse({ response, contextValue: context }) {
          const miss = misses.get(context);
          // Another request's execution may have started before the write this lookup's generations
          // show: its answer is not kept under them (that request keeps it under its own).
          if (!miss || joinedExecution(context)) return;
          if (response.body.kind === 'single') return keep(miss, response.body.singleResult);
          // An answer in parts (`@defer`): kept whole once its last part is out. The policy is the whole
          // operation's, deferred fields and all, and an error in any part keeps it out.
          const parts = response.body.subsequentResults as AsyncIterable<SubsequentResult>;
          response.body.subsequentResults = withWholeAnswer(response.body.initialResult, parts, (whole) =>
            keep(miss, whole),
          ) as typeof response.body.subsequentResults;
        },
      };
    },
  };
}
