import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import type { Identity } from './identity.js';

/**
 * The one way Tessera writes a key made of several parts — an identity among them (operation
 * deduplication, the authorization filter's cache, idempotency keys, rate-limit buckets, the
 * caches): the parts as canonical JSON, hashed.
 *
 * Never parts joined by a separator: a scope may itself hold the separator
 * (`["users:read-email", "x"]` and `["users:read-email x"]` joined by a space are one string),
 * and two callers would share one key — one served the other's private fields, the other
 * refused what it may do. JSON quotes every string and escapes the quotes inside it, so no part
 * can pass for two, nor two for one; object keys are sorted, so equal values give equal keys
 * whatever the order they were written in. SHA-256 keeps every key 43 characters, however long
 * its parts (variables, scope lists).
 *
 * Throws a `RangeError` for a value nested too deeply to write (variables a client may send
 * unused): a caller then goes without the key (runs unshared, is not cached).
 */
export function composeKey(parts: readonly unknown[]): string {
  return createHash('sha256').update(stringify(parts)).digest('base64url');
}

/**
 * Who asks, as a key part: the subject (null when anonymous) and the set of scopes, sorted, so
 * the same caller gives the same part and two callers that differ in any way never do.
 */
export function callerPart(identity: Identity): readonly [string | null, readonly string[]] {
  return [identity.sub ?? null, [...identity.scopes].sort()];
}

/**
 * What a caller may see, as a key part: signed in or not, and the scopes. The subject is left out
 * on purpose — two users with the same scopes see the same fields of an operation.
 */
export function visibilityPart(identity: Identity): readonly [boolean, readonly string[]] {
  return [identity.sub !== undefined, [...identity.scopes].sort()];
}
