import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { bumpGenerations, INVALIDATIONS_EXTENSION, type CacheTag, type Logger, type RedisClient } from '@tessera/service-kit';
import { Counter, type Registry } from 'prom-client';

/** One request's record of what its writes changed, for the gateway's caches. */
export interface CacheInvalidations {
  /**
   * Marks what a committed write changed (`writeTags('Product', id)`): its generations are bumped
   * in the shared Redis now — before the mutation answers, so the writer's next read sees the
   * write — and the tags are reported in the answer's `extensions.cacheInvalidations`, so the
   * gateway bumps them too (where this subgraph has no Redis, or could not reach it).
   */
  changed(tags: readonly CacheTag[]): Promise<void>;
  /** Every tag marked so far. */
  tags(): readonly CacheTag[];
}

/** Options of {@link createInvalidator}. */
export interface InvalidatorOptions {
  /** The Redis the gateways' caches are in; none: the tags are only reported. */
  redis?: RedisClient;
  keyPrefix: string;
  logger: Logger;
  registry?: Registry;
}

/**
 * Makes each request's {@link CacheInvalidations}. A bump that Redis does not take is logged and
 * counted, never an error: the write is done, and the gateway bumps the reported tags as well.
 */
export function createInvalidator({ redis, keyPrefix, logger, registry }: InvalidatorOptions): () => CacheInvalidations {
  const failures = new Counter({
    name: 'cache_invalidations_failed_total',
    help: 'Writes whose cache tags this subgraph could not bump in Redis (the gateway bumps the reported tags too).',
    registers: registry ? [registry] : [],
  });
  return () => {
    const marked: CacheTag[] = [];
    return {
      async changed(tags) {
        marked.push(...tags);
        if (!redis) return;
        try {
          await bumpGenerations(redis, keyPrefix, tags);
        } catch (error) {
          failures.inc();
          logger.error({ err: error, tags }, 'cache tags not bumped in redis: reported to the gateway only');
        }
      },
      tags: () => marked,
    };
  };
}

/** What the plugin reads from a subgraph's context: the request's invalidations. */
export interface InvalidationsContext extends BaseContext {
  invalidations?: CacheInvalidations;
}

/** Puts the tags a request's writes changed into its answer's `extensions.cacheInvalidations`. */
export function createInvalidationReportPlugin<C extends InvalidationsContext>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const tags = contextValue.invalidations?.tags() ?? [];
          if (tags.length === 0 || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, [INVALIDATIONS_EXTENSION]: tags };
        },
      };
    },
  };
}
