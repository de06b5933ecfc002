const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID — the form of every Tessera id; anything else cannot match a row. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * The form ids are stored and compared in: a UUID in lower case (PostgreSQL prints them so,
 * and compares the text of a key), anything else unchanged. A client may send either case.
 */
export function canonicalId<T>(value: T): T {
  return (isUuid(value) ? value.toLowerCase() : value) as T;
}

/** Batch-loader options for keys that are ids: canonical case, and only UUIDs reach the database. */
export const UUID_KEYS: { isValidKey: (key: string) => boolean; canonicalKey: (key: string) => string } = {
  isValidKey: isUuid,
  canonicalKey: canonicalId,
};

/**
 * An entity another subgraph owns, as this one knows it — by id only: the representation's
 * id in canonical form, or null (an entity that cannot exist) when it has no string id.
 */
export function idReference(representation: { id?: unknown }): { id: string } | null {
  return typeof representation.id === 'string' ? { id: canonicalId(representation.id) } : null;
}
