import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { CostDirectives } from './directives.js';
import { costRelevantVariables } from './estimate.js';
import { createShapeMemo, type OperationShape } from '@tessera/service-kit';

/** Options of {@link createCostCache}. */
export interface CostCacheOptions {
  /** Variable sets remembered per document; the least recently used is forgotten first. @default 64 */
  costsPerDocument?: number;
  /** Variables whose cost-relevant values are longer than this (as JSON) are estimated afresh. @default 1_024 */
  maxVariablesKeyLength?: number;
}

/** One operation of a document, with the request's variables, as the estimate sees it. */
export interface CostRequest {
  document: DocumentNode;
  operationName: string | null;
  variables: Record<string, unknown>;
  directives: CostDirectives;
}

/** Shapes and estimates remembered between requests. */
export interface CostCache {
  /** The operation's shape, measured once per (document, operation). */
  shape(document: DocumentNode, operationName: string | null): OperationShape;
  /** The operation's estimated cost: `estimate()` once per (document, operation, cost-relevant variables). */
  cost(request: CostRequest, estimate: () => number): number;
}

/**
 * Caches keyed by the parsed document. Apollo Server hands the same DocumentNode for a
 * repeated query (and a new one after a supergraph update, which may change the cost
 * directives), so a repeated request is neither re-measured nor re-estimated. Only the
 * variables that can change the estimate (slicing arguments, `@skip`/`@include`) make the
 * key: a new cursor or id on every request still hits.
 */
export function createCostCache({ costsPerDocument = 64, maxVariablesKeyLength = 1_024 }: CostCacheOptions = {}): CostCache {
  const shape = createShapeMemo();
  const costs = new WeakMap<DocumentNode, { relevant: string[]; estimates: LRUCache<string, number> }>();

  const costsOf = (document: DocumentNode, directives: CostDirectives) => {
    let entry = costs.get(document);
    if (!entry) {
      entry = { relevant: costRelevantVariables(document, directives), estimates: new LRUCache({ max: costsPerDocument }) };
      costs.set(document, entry);
    }
    return entry;
  };

  return {
    shape,
    cost({ document, operationName, variables, directives }, estimate) {
      const { relevant, estimates } = costsOf(document, directives);
      const variablesKey = JSON.stringify(relevant.map((name) => variables[name] ?? null));
      if (variablesKey.length > maxVariablesKeyLength) return estimate();
      const key = `${operationName ?? ''}\n${variablesKey}`;
      let estimated = estimates.get(key);
      if (estimated === undefined) estimates.set(key, (estimated = estimate()));
      return estimated;
    },
  };
}
