import type { DocumentNode } from 'graphql';
import { operationPolicy, type CachePolicy } from './policy.js';
import type { CacheModel } from './caching-data-source.js';

/**
 * The policy of a client's operation, worked out once per parsed document, operation and
 * supergraph (Apollo Server hands the same DocumentNode for a repeated query).
 */
export function createOperationPolicies({
  model,
  ttlOverrides,
}: {
  model: () => CacheModel | undefined;
  ttlOverrides: ReadonlyMap<string, number>;
}) {
  const byModel = new WeakMap<CacheModel, WeakMap<DocumentNode, Map<string, CachePolicy>>>();
  return (document: DocumentNode, operationName: string | null): CachePolicy | undefined => {
    const current = model();
    if (!current) return undefined;
    let byDocument = byModel.get(current);
    if (!byDocument) byModel.set(current, (byDocument = new WeakMap()));
    let byName = byDocument.get(document);
    if (!byName) byDocument.set(document, (byName = new Map<string, CachePolicy>()));
    let policy = byName.get(operationName ?? '');
    if (!policy)
      byName.set(operationName ?? '', (policy = operationPolicy(current.schema, current.hints, document, operationName, { ttlOverrides })));
    return policy;
  };
}
