import { Counter, Gauge, type Registry } from 'prom-client';

/** What the caches count: lookups by outcome, bytes kept, Redis failures, invalidations. */
export interface CacheMetrics {
  /** `cache`: entity, root or response; `subgraph` (`-` for whole responses); `type` (entity type, else `-`); `result`: hit, miss or stale. */
  lookups: Counter<'cache' | 'subgraph' | 'type' | 'result'>;
  /** Bytes of JSON kept, by cache, subgraph and type (entity type, else `-`). */
  storedBytes: Counter<'cache' | 'subgraph' | 'type'>;
  /** Lookups or fills Redis did not answer (they were misses). */
  errors: Counter;
  /** Missed entities a request waited for while another request of this gateway fetched them (single flight), by subgraph. */
  joins: Counter<'subgraph'>;
  /** Tags bumped by the gateway: `source` subgraph (a write's report) or operator (the endpoint). */
  invalidations: Counter<'source'>;
  /** Tags this gateway could not bump yet (Redis did not take them): while above 0 its caches answer misses. */
  heldTags: Gauge;
}

export function createCacheMetrics(registry: Registry | undefined): CacheMetrics {
  const registers = registry ? [registry] : [];
  return {
    lookups: new Counter({
      name: 'cache_lookups_total',
      help: 'Cache lookups by cache (entity, root, response), subgraph, entity type and result (hit, miss, stale).',
      labelNames: ['cache', 'subgraph', 'type', 'result'],
      registers,
    }),
    storedBytes: new Counter({
      name: 'cache_stored_bytes_total',
      help: 'Bytes of JSON written to the cache, by cache, subgraph and entity type (- for root fields and responses).',
      labelNames: ['cache', 'subgraph', 'type'],
      registers,
    }),
    errors: new Counter({
      name: 'cache_errors_total',
      help: 'Cache lookups and fills Redis did not answer (served as misses).',
      registers,
    }),
    joins: new Counter({
      name: 'cache_entity_joins_total',
      help: 'Missed entities a request waited for while another request fetched them (single flight), by subgraph.',
      labelNames: ['subgraph'],
      registers,
    }),
    invalidations: new Counter({
      name: 'cache_invalidations_total',
      help: 'Cache tags the gateway bumped, by source (subgraph: a write reported them; operator: the invalidation endpoint).',
      labelNames: ['source'],
      registers,
    }),
    heldTags: new Gauge({
      name: 'cache_held_invalidations',
      help: 'Cache tags not bumped yet because Redis did not take them; while above 0 every lookup is a miss.',
      registers,
    }),
  };
}
