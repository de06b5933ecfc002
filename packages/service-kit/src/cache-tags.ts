import { randomInt } from 'node:crypto';
import type { RedisClient } from './redis.js';
import { composeKey } from './keys.js';

/**
 * What a cache entry depends on, and what a write changes: a generation counter in Redis per
 * tag. An entry records the generations of its tags when its data was read (before the fetch);
 * it is served only while they are unchanged. A write bumps the generations of what it changed,
 * after it commits and before it answers. No key is ever looked for (no SCAN), an invalidation
 * is one INCR per tag, and a fill that raced a write is stale from the moment it is stored:
 * it recorded the generation from before. A counter starts at a random 48-bit number wherever
 * there is none (read or bumped), never at 1: one Redis evicted or let expire starts again
 * somewhere no entry recorded, so losing a counter makes its entries stale, never current.
 *
 * - `entity`: one entity (`Product` with id `…`): entity entries hang on it;
 * - `type`: any entity of a type, and the lists of them (a new review changes pages of reviews):
 *   root-field and whole-response entries hang on it;
 * - `flush`: an operator's invalidation of a whole type, entity entries included;
 * - `all`: an operator's invalidation of everything.
 */
export type CacheTag =
  { kind: 'entity'; type: string; id: string } | { kind: 'type'; type: string } | { kind: 'flush'; type: string } | { kind: 'all' };

/** Where a subgraph's answer reports the cache tags its writes changed, for the gateway to bump too. */
export const INVALIDATIONS_EXTENSION = 'cacheInvalidations';

/** A tag as a subgraph's answer reports it: JSON, so checked before it is used. */
export function isCacheTag(value: unknown): value is CacheTag {
  const tag = value as { kind?: unknown; type?: unknown; id?: unknown } | null;
  if (!tag || typeof tag !== 'object') return false;
  if (tag.kind === 'all') return true;
  if (typeof tag.type !== 'string') return false;
  return tag.kind === 'entity' ? typeof tag.id === 'string' : tag.kind === 'type' || tag.kind === 'flush';
}

/** What a write to the entity `type` with `id` changes: that entity, and the collections of its type. */
export function writeTags(type: string, id: string): CacheTag[] {
  return [
    { kind: 'entity', type, id },
    { kind: 'type', type },
  ];
}

/** The Redis key of a tag's generation. The tag is written by `composeKey`, so no type and id can pass for another. */
export function generationKey(prefix: string, tag: CacheTag): string {
  return `${prefix}cache:gen:${composeKey([tag.kind, 'type' in tag ? tag.type : null, 'id' in tag ? tag.id : null])}`;
}

/**
 * How long a generation outlives its last bump: longer than any entry may live, so an entry
 * that recorded "no generation yet" is gone before the counter it recorded could be forgotten
 * and read as "none" again.
 */
export const GENERATION_TTL_SECONDS = 2 * 86_400;

/** Entries live at most this long, whatever their hints say (within {@link GENERATION_TTL_SECONDS}). */
export const MAX_ENTRY_TTL_SECONDS = 86_400;

/** Where a counter starts: far from 1, and from where it started before. */
function freshGeneration(): string {
  return String(randomInt(2 ** 32, 2 ** 47));
}

/**
 * Bumps each tag's generation (started at random where there is none, INCR, its TTL renewed),
 * every command sent at once: one round trip on a single Redis (ioredis pipelines them,
 * `connectRedis`), one per node on a Cluster (a tag's commands go to its node, in order).
 */
export async function bumpGenerations(redis: RedisClient, prefix: string, tags: readonly CacheTag[]): Promise<void> {
  const keys = [...new Set(tags.map((tag) => generationKey(prefix, tag)))];
  await Promise.all(
    keys.flatMap((key) => [
      redis.set(key, freshGeneration(), 'EX', GENERATION_TTL_SECONDS, 'NX'),
      redis.incr(key),
      redis.expire(key, GENERATION_TTL_SECONDS),
    ]),
  );
}

/**
 * A generation as it is now, started at random if there is none (one command: `SET NX GET`,
 * Redis 7), so that what an entry records is always a value a lost counter cannot come back to.
 */
export async function readGeneration(redis: RedisClient, key: string): Promise<string> {
  const fresh = freshGeneration();
  return (await redis.set(key, fresh, 'EX', GENERATION_TTL_SECONDS, 'NX', 'GET')) ?? fresh;
}
