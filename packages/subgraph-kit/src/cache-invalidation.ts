import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  bumpGenerations,
  encodePosition,
  GENERATION_TTL_SECONDS,
  INVALIDATIONS_EXTENSION,
  latestWriteKey,
  raisePosition,
  WRITE_POSITION_EXTENSION,
  type CacheTag,
  type Logger,
  type RedisClient,
} from '@tessera/service-kit';
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
  /** The database position its writes committed at (PostgreSQL), once one was marked. */
  writtenAt(): bigint | undefined;
}

/** Options of {@link createInvalidator}. */
export interface InvalidatorOptions {
  /** The Redis the gateways' caches are in; none: the tags are only reported. */
  redis?: RedisClient;
  keyPrefix: string;
  logger: Logger;
  registry?: Registry;
  /** The subgraph whose database it is (the key of its latest write). */
  subgraph: string;
  /** The primary's current WAL position (PostgreSQL): read after a write commits, it is at or past the write. */
  currentLsn?: () => Promise<bigint>;
}

/**
 * Makes each request's {@link CacheInvalidations}. A bump that Redis does not take is logged and
 * counted, never an error: the write is done, and the gateway bumps the reported tags as well.
 */
export function createInvalidator({
  redis,
  keyPrefix,
  logger,
  registry,
  subgraph,
  currentLsn,
}: InvalidatorOptions): () => CacheInvalidations {
  const failures = new Counter({
    name: 'cache_invalidations_failed_total',
    help: 'Writes whose cache tags this subgraph could not bump in Redis (the gateway bumps the reported tags too).',
    registers: registry ? [registry] : [],
  });
  return () => {
    const marked: CacheTag[] = [];
    let written: bigint | undefined;
    return {
      async changed(tags) {
        marked.push(...tags);
        // Where the write committed, before anything is bumped: a reader who sees the bump sees this too.
        const lsn = currentLsn && (await positionAfterWrite(currentLsn, logger));
        if (lsn !== undefined && (written === undefined || lsn > written)) written = lsn;
        if (!redis) return;
        try {
          if (lsn !== undefined) await raisePosition(redis, latestWriteKey(keyPrefix, subgraph), lsn, GENERATION_TTL_SECONDS * 1_000);
          await bumpGenerations(redis, keyPrefix, tags);
        } catch (error) {
          failures.inc();
          logger.error({ err: error, tags }, 'cache tags not bumped in redis: reported to the gateway only');
        }
      },
      tags: () => marked,
      writtenAt: () => written,
    };
  };
}

/** What the plugin reads from a subgraph's context: the request's invalidations. */
export interface InvalidationsContext extends BaseContext {
  invalidations?: CacheInvalidations;
}

/** Puts the tags a request's writes changed into its answer's `extensions.cacheInvalidations`, and where they committed into `extensions.writePosition`. */
export function createInvalidationReportPlugin<C extends InvalidationsContext>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const tags = contextValue.invalidations?.tags() ?? [];
          if (tags.length === 0 || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const written = contextValue.invalidations?.writtenAt();
          result.extensions = {
            ...result.extensions,
            [INVALIDATIONS_EXTENSION]: tags,
            ...(written !== undefined && { [WRITE_POSITION_EXTENSION]: encodePosition(written) }),
          };
        },
      };
    },
  };
}

/**
 * The primary's position after a write, asked up to three times (50 ms apart: the write committed,
 * so the primary answers; its pool may be busy for a moment). Undefined if it never answered:
 * logged, since the caller's next reads and cache fills then may come from a replica without it.
 */
async function positionAfterWrite(currentLsn: () => Promise<bigint>, logger: Logger): Promise<bigint | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await currentLsn();
    } catch (error) {
      if (attempt === 3) {
        logger.error({ err: error }, "a write's position could not be read: its writer and cache fills may read a replica without it");
        return undefined;
      }
      await new Promise((done) => setTimeout(done, 50));
    }
  }
}
