import { LRUCache } from 'lru-cache';

/**
 * Apollo's `KeyValueCache` (a document store, an APQ cache) as Apollo Server calls it: get, set
 * with a TTL in seconds, delete. Declared here so that a service needs neither
 * `@apollo/utils.keyvaluecache` nor its InMemoryLRUCache (a wrapper over the same lru-cache).
 */
export interface MemoryKeyValueCache<V> {
  get(key: string): Promise<V | undefined>;
  /** `ttl` in seconds; none, 0 or null: kept until evicted. */
  set(key: string, value: V, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
}

/** Options of {@link createMemoryKeyValueCache}. */
export interface MemoryKeyValueCacheOptions<V> {
  /** What the entries may add up to, in the units of `sizeOf`; the least recently used go first. */
  maxSize: number;
  /** An entry's size. @default {@link approximateSize} */
  sizeOf?: (value: V) => number;
}

/**
 * An in-memory LRU `KeyValueCache`, bounded by the size of what it holds rather than by a
 * count: a bound that documents sent to fill it (one unique document per request) cannot
 * grow past.
 */
export function createMemoryKeyValueCache<V extends object | string>({
  maxSize,
  sizeOf = approximateSize,
}: MemoryKeyValueCacheOptions<V>): MemoryKeyValueCache<V> {
  const entries = new LRUCache<string, V>({ maxSize, sizeCalculation: (value) => Math.max(1, sizeOf(value)) });
  return {
    get: (key) => Promise.resolve(entries.get(key)),
    set: (key, value, options) => {
      entries.set(key, value, options?.ttl ? { ttl: options.ttl * 1_000 } : undefined);
      return Promise.resolve();
    },
    delete: (key) => Promise.resolve(entries.delete(key)),
  };
}

/** A string's length; an object's JSON in UTF-8 bytes (how Apollo's InMemoryLRUCache measures). */
export function approximateSize(value: object | string): number {
  return typeof value === 'string' ? value.length : Buffer.byteLength(JSON.stringify(value), 'utf8');
}
