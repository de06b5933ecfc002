import { composeKey } from './keys.js';
import type { RedisClient } from './redis.js';

/**
 * Where writes have got to in each subgraph's database (PostgreSQL WAL positions), kept in Redis
 * for the gateways and subgraphs that share it, for reads that must not be older:
 * - a subgraph's **latest write** (`raise` on its key): raised before its cache tags are bumped,
 *   so whoever sees a bumped generation also sees a position at least that of the write, and fills
 *   the entry only from a read that shows it;
 * - a **caller's latest write** per subgraph (read your writes): the caller's next reads must show it.
 * A position is kept as 16 hexadecimal digits, so Redis compares positions as strings, exactly
 * (Lua's numbers could not hold 64 bits).
 */

/** Where a subgraph's answer to a write reports the position it committed at (encoded as in Redis). */
export const WRITE_POSITION_EXTENSION = 'writePosition';

/** The header a gateway sends a subgraph with the position the request's reads must show (encoded as in Redis). */
export const READ_POSITION_HEADER = 'x-tessera-read-position';

/** Past any WAL position: a read asked to be at least there is served by the primary (no replica can have replayed it). */
export const ON_PRIMARY = (1n << 64n) - 1n;

/** How a position is written in Redis: 16 lower-case hexadecimal digits. */
export function encodePosition(lsn: bigint): string {
  return lsn.toString(16).padStart(16, '0');
}

/** A position as {@link encodePosition} wrote it; undefined for anything else. */
export function decodePosition(value: string | null | undefined): bigint | undefined {
  return value && /^[0-9a-f]{16}$/.test(value) ? BigInt(`0x${value}`) : undefined;
}

/** The key of a subgraph's latest write. */
export function latestWriteKey(prefix: string, subgraph: string): string {
  return `${prefix}db:written:${composeKey([subgraph])}`;
}

/** The key of a caller's latest writes, a hash by subgraph. */
export function callerWritesKey(prefix: string, caller: string): string {
  return `${prefix}db:caller-written:${composeKey([caller])}`;
}

// Sets KEYS[1] (or field ARGV[3] of hash KEYS[1]) to ARGV[1] unless it already holds a later position; renews its TTL (ARGV[2] ms).
const RAISE = `
local current
if ARGV[3] then current = redis.call('HGET', KEYS[1], ARGV[3]) else current = redis.call('GET', KEYS[1]) end
if (not current) or current < ARGV[1] then
  if ARGV[3] then redis.call('HSET', KEYS[1], ARGV[3], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1]) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** Raises `key` (or its hash `field`) to `lsn` unless it holds a later position already; it lives `ttlMs` after. */
export async function raisePosition(redis: RedisClient, key: string, lsn: bigint, ttlMs: number, field?: string): Promise<void> {
  await redis.eval(RAISE, 1, key, encodePosition(lsn), String(Math.max(1, Math.round(ttlMs))), ...(field === undefined ? [] : [field]));
}
