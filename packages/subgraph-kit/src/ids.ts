import { canonicalId, isUuid } from '@tessera/service-kit';

export { canonicalId, isUuid };

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
