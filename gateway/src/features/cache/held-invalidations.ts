import { bumpGenerations, generationKey, type CacheTag, type RedisClient } from '@tessera/service-kit';

/** Options of {@link createHeldInvalidations}. */
export interface HeldInvalidationsOptions {
  redis: RedisClient;
  keyPrefix: string;
  /** How often held tags are tried again. */
  retryMs: number;
  /** More held tags than this become one invalidation of everything. */
  maxHeldTags: number;
  /** A bump Redis did not take. */
  failed: (error: unknown) => void;
  /** How many tags are held now (the `cache_held_invalidations` gauge). */
  heldTags: (count: number) => void;
}

/** Invalidations as the store makes them: bumped at once, or held until Redis takes them. */
export interface HeldInvalidations {
  /** Bumps the tags; resolves `held` when Redis did not take them (they are retried). */
  invalidate(tags: readonly CacheTag[]): Promise<'bumped' | 'held'>;
  /** Whether any invalidation waits for Redis: while so, nothing in the cache may be trusted. */
  readonly pending: boolean;
}

/**
 * Cache tags bumped in Redis, and the ones it did not take kept and retried every `retryMs`
 * (one bump of all of them at a time, an unref'd timer), so a write's invalidation is never
 * lost to a blip: the store answers misses while any is held.
 */
export function createHeldInvalidations({
  redis,
  keyPrefix,
  retryMs,
  maxHeldTags,
  failed,
  heldTags,
}: HeldInvalidationsOptions): HeldInvalidations {
  const held = new Map<string, CacheTag>();
  const ALL = generationKey(keyPrefix, { kind: 'all' });
  let flushing: Promise<void> | undefined;
  const hold = (tags: readonly CacheTag[]) => {
    for (const tag of tags) held.set(generationKey(keyPrefix, tag), tag);
    if (held.size > maxHeldTags) {
      held.clear();
      held.set(ALL, { kind: 'all' });
    }
  };
  const flush = (): Promise<void> =>
    (flushing ??= (async () => {
      const batch = new Map(held);
      try {
        await bumpGenerations(redis, keyPrefix, [...batch.values()]);
        for (const key of batch.keys()) held.delete(key);
      } catch (error) {
        failed(error);
      } finally {
        flushing = undefined;
        heldTags(held.size);
      }
    })());
  setInterval(() => held.size > 0 && void flush(), retryMs).unref();
  return {
    async invalidate(tags) {
      hold(tags);
      const keys = [...tags.map((tag) => generationKey(keyPrefix, tag)), ALL];
      const pending = () => keys.some((key) => held.has(key));
      // A bump already under way may not carry these tags: wait for it, then bump what is left.
      if (flushing) await flushing;
      if (pending()) await flush();
      return pending() ? 'held' : 'bumped';
    },
    get pending() {
      return held.size > 0;
    },
  };
}
