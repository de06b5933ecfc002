import type { CacheTag } from '@tessera/service-kit';

/**
 * What an operator asks to invalidate: `{"all": true}`, `{"types": ["Product"]}` (every entry of
 * a type, entities included) or `{"entities": [{"type": "Product", "id": "…"}]}`, any together.
 * Anything else is a `RangeError` (400).
 */
export function operatorTags(body: unknown): CacheTag[] {
  const { all, types = [], entities = [] } = (body ?? {}) as { all?: unknown; types?: unknown; entities?: unknown };
  const validTypes = Array.isArray(types) && types.every((type) => typeof type === 'string');
  const validEntities = Array.isArray(entities) && entities.every(isEntityRef);
  if (!validTypes || !validEntities || (all !== undefined && typeof all !== 'boolean')) {
    throw new RangeError('expected {"all": true}, {"types": ["Type"]} or {"entities": [{"type": "Type", "id": "…"}]}');
  }
  const tags: CacheTag[] = [
    ...(all ? [{ kind: 'all' } as const] : []),
    ...types.flatMap((type) => [{ kind: 'flush', type } as const, { kind: 'type', type } as const]),
    ...entities.flatMap(({ type, id }) => [{ kind: 'entity', type, id } as const, { kind: 'type', type } as const]),
  ];
  if (tags.length === 0) throw new RangeError('nothing to invalidate: give all, types or entities');
  return tags;
}

/** `{"type": "…", "id": "…"}`: one entity an operator names. */
function isEntityRef(value: unknown): value is { type: string; id: string } {
  if (typeof value !== 'object' || value === null) return false;
  const { type, id } = value as { type?: unknown; id?: unknown };
  return typeof type === 'string' && typeof id === 'string';
}
