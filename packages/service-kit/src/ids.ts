const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` is a UUID — the form of every Tessera id; anything else cannot match a row.
 * A plain boolean, not a `value is string` guard: for a string that is not a UUID, the guard
 * would leave `never` in the branch that reports it.
 */
export function isUuid(value: unknown): boolean {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * The form ids are stored and compared in: a UUID in lower case (PostgreSQL prints them so,
 * and compares the text of a key), anything else unchanged. A client may send either case, and
 * a token's subject may name a user in either: both mean the one row.
 */
export function canonicalId<T>(value: T): T {
  return (typeof value === 'string' && isUuid(value) ? value.toLowerCase() : value) as T;
}
