import { createHash } from 'node:crypto';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import {
  ANONYMOUS,
  decodePosition,
  INVALIDATIONS_EXTENSION,
  isCacheTag,
  WRITE_POSITION_EXTENSION,
  type CacheTag,
  type Identity,
} from '@tessera/service-kit';
import { Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { isOperationFetch, readPositionOf, withReadPosition, type GatewayContext, type SubgraphSource } from '../../pipeline/index.js';
import { entityEntry, rootEntry, type EntryAddress } from './entries.js';
import { entitiesOf, mergeEntities, splitEntities, type FetchResult } from './entity-fetch.js';
import type { CacheHints } from './hints.js';
import { operationPolicy, type CachePolicy } from './policy.js';
import { EntryFlights, type Claim } from './flights.js';
import type { CacheMetrics } from './metrics.js';
import type { CacheStore, Lookup } from './store.js';

/** The supergraph the policies are read from: its API schema and `@cacheControl` hints. */
export interface CacheModel {
  schema: GraphQLSchema;
  hints: CacheHints;
}

/** What every subgraph's cache shares. */
export interface SubgraphCacheOptions {
  store: CacheStore;
  /** The supergraph being served (undefined before the first load: nothing cached). */
  model: () => CacheModel | undefined;
  keyPrefix: string;
  /** Per-type caps on `maxAge` (`CACHE_TTL_OVERRIDES`). */
  ttlOverrides: ReadonlyMap<string, number>;
  /** An `_entities` fetch of more representations than this goes uncached (its lookup would be that many keys). @default 500 */
  maxEntitiesPerFetch?: number;
  metrics: CacheMetrics;
  /** Bumps the tags a write reported (`extensions.cacheInvalidations` of a mutation's answer); never throws. */
  invalidate(tags: readonly CacheTag[]): Promise<void>;
  /** Told of every entry looked up for a request: served from the cache or not (`x-tessera-cache`). */
  count?(context: object, hit: boolean): void;
  /**
   * The database position of the subgraph's last write (read after the lookup, so at least that of
   * any write whose bump the lookup saw): a fetch that fills entries reads there or later, never
   * on a replica that has not replayed it.
   */
  latestWrite?(subgraph: string): Promise<bigint | undefined>;
  /** Raises the subgraph's last write position (a write's answer said where it committed), before its tags are bumped. */
  written?(subgraph: string, lsn: bigint): Promise<void>;
}

/** What the cache knows of one fetch document: its hash and its policy under the current supergraph. */
interface FetchPlan {
  hash: string;
  policy: CachePolicy;
  entities: boolean;
}

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type Response = Awaited<ReturnType<GraphQLDataSource['process']>>;

/**
 * A subgraph's calls through the gateway's entity and root-field caches (the level where
 * federation reuses data across operations, as Apollo Router's response cache does):
 * - an `_entities` fetch is split per representation: each entity is looked up by subgraph, type,
 *   representation, the fetch's selection and (for `PRIVATE` data) the caller, all in one round
 *   trip; only the misses are fetched, and the answer is put back together in order, errors on
 *   their entities' paths;
 * - any other query fetch is one entry, by subgraph, document, variables (and caller when private);
 * - what is fetched is kept for the smallest `maxAge` of what it holds, under the generations its
 *   tags had before the fetch, unless it came with an error (errors and partial answers never are);
 * - mutations pass through.
 */
export class CachingDataSource implements SubgraphSource {
  private readonly plans = new WeakMap<CacheModel, LRUCache<string, FetchPlan | false>>();
  private readonly maxEntities: number;
  private readonly flights = new EntryFlights();

  constructor(
    private readonly service: string,
    private readonly inner: SubgraphSource,
    private readonly options: SubgraphCacheOptions,
  ) {
    this.maxEntities = options.maxEntitiesPerFetch ?? 500;
  }

  async process(options: ProcessOptions): Promise<Response> {
    if (!isOperationFetch(options) || !options.request.query) return this.passThrough(options);
    const plan = this.planOf(options.request.query);
    if (!plan) return this.passThrough(options);
    const identity = options.context.identity ?? ANONYMOUS;
    return plan.entities ? this.entities(options, plan, identity) : this.root(options, plan, identity);
  }

  /**
   * A fetch not cached. A mutation's answer says what its writes changed: those tags are bumped
   * before the gateway goes on (the subgraph bumped them too, where it has Redis), so what
   * follows in this operation — and the writer's next request — reads fresh entries.
   */
  private async passThrough(options: ProcessOptions): Promise<Response> {
    const result = await this.inner.process(options);
    const reported: unknown = result.extensions?.[INVALIDATIONS_EXTENSION];
    if (!Array.isArray(reported)) return result;
    const tags = reported.filter(isCacheTag);
    const written = decodePosition(result.extensions?.[WRITE_POSITION_EXTENSION] as string | undefined);
    if (written !== undefined) await this.options.written?.(this.service, written);
    if (tags.length) await this.options.invalidate(tags);
    const { [INVALIDATIONS_EXTENSION]: _reported, [WRITE_POSITION_EXTENSION]: _written, ...extensions } = result.extensions!;
    return { ...result, extensions };
  }

  /** A fetch whose answer fills entries: it reads at the subgraph's last write or later. */
  private async filling(options: ProcessOptions): Promise<ProcessOptions> {
    return withReadPosition(options, await this.options.latestWrite?.(this.service));
  }

  /** The fetch's hash and policy, worked out once per document and supergraph; false: not cached (a mutation, `maxAge` 0, no supergraph yet). */
  private planOf(query: string): FetchPlan | undefined {
    const model = this.options.model();
    if (!model) return undefined;
    let plans = this.plans.get(model);
    if (!plans) this.plans.set(model, (plans = new LRUCache({ max: 2_000 })));
    let plan = plans.get(query);
    if (plan === undefined) {
      const document = parse(query, { noLocation: true });
      const policy = operationPolicy(model.schema, model.hints, document, undefined, { ttlOverrides: this.options.ttlOverrides });
      const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const entities = operation?.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '_entities') ?? false;
      plan = policy.maxAge > 0 && { hash: createHash('sha256').update(query).digest('base64url'), policy, entities };
      plans.set(query, plan);
    }
    return plan || undefined;
  }

  private async entities(options: ProcessOptions, plan: FetchPlan, identity: Identity): Promise<Response> {
    const { request, context } = options;
    const representations: unknown = request.variables?.representations;
    if (!Array.isArray(representations) || representations.length === 0 || representations.length > this.maxEntities)
      return this.inner.process(options);
    const addresses = representations.map((rep) =>
      rep && typeof rep === 'object'
        ? entityEntry(this.options.keyPrefix, this.service, plan.hash, rep as Record<string, unknown>, plan.policy, identity)
        : undefined,
    );
    if (addresses.some((address) => address === undefined)) return this.inner.process(options);
    const found = await this.options.store.lookup(addresses as NonNullable<(typeof addresses)[number]>[]);
    found.forEach((lookup, i) => this.count('entity', typenameOf(representations[i]), lookup, context));
    const { missing } = splitEntities(found);
    if (missing.length === 0) return { data: { _entities: found.map((lookup) => lookup.value) } };
    return this.fetchMissing(options, plan, addresses as EntryAddress[], found, missing);
  }

  /**
   * The missed entities of an `_entities` fetch: those another request is fetching right now are
   * waited for, the rest fetched and handed to whoever waits; the answer put back in order.
   */
  private async fetchMissing(
    options: ProcessOptions,
    plan: FetchPlan,
    addresses: EntryAddress[],
    found: Lookup[],
    missing: number[],
  ): Promise<Response> {
    const representations = options.request.variables!.representations as unknown[];
    // The position the fetch reads at (the subgraph's last write, read after the lookup) is part of
    // the flight: a request that looked up after a write never joins a fetch from before it.
    const positioned = await this.filling(options);
    const position = readPositionOf(positioned)?.toString() ?? '';
    const claim = this.flights.claim(missing.map((i) => `${addresses[i]!.key}@${position}`));
    // What this request fetched and may keep, by position in the representations.
    const fetched = new Map<number, unknown>();
    const landOwn = () => claim.land(ownFetched(claim.own, missing, fetched));
    try {
      const fetchInto = (known: ReadonlyArray<{ value?: unknown }>, positions: number[]) =>
        this.fetchEntities(positioned, representations, known, positions, fetched);
      // Landed as soon as this request's own fetch is done, not after what it joined: two requests waiting on each other's entries must not wait forever.
      const own = fetchInto(
        found,
        claim.own.map((j) => missing[j]!),
      ).finally(landOwn);
      const [first, joined] = await Promise.all([own, Promise.all(claim.joined.map(([, value]) => value))]);
      const entities = entitiesOf(first);
      // The whole fetch failed: answered as the subgraph answered.
      if (!entities) return first;
      if (claim.joined.length) this.options.metrics.joins.inc({ subgraph: this.service }, claim.joined.length);
      // A joined fetch that could not keep an entry (an error on it): this request fetches it itself.
      const unanswered = placeJoined(entities, claim.joined, joined, missing);
      let result = first;
      if (unanswered.length) {
        const known = entities.map((value) => ({ value }));
        result = withErrorsOf(first, await fetchInto(known, unanswered));
      }
      this.fillEntities(plan, addresses, found, representations, fetched);
      return result;
    } finally {
      landOwn();
    }
  }

  /**
   * Fetches the entities at `positions` (of the original representations) and puts them among
   * the `known` ones, in order; those that may be kept go into `fetched`.
   */
  private async fetchEntities(
    options: ProcessOptions,
    representations: readonly unknown[],
    known: ReadonlyArray<{ value?: unknown }>,
    positions: number[],
    fetched: Map<number, unknown>,
  ): Promise<FetchResult> {
    if (positions.length === 0) return { data: { _entities: known.map((lookup) => lookup.value ?? null) } };
    const { request } = options;
    const answer = (await this.inner.process({
      ...options,
      request: { ...request, variables: { ...request.variables, representations: positions.map((i) => representations[i]) } },
    })) as FetchResult;
    const { result, keepable } = mergeEntities(known, { missing: positions }, answer);
    for (const i of keepable) fetched.set(i, entitiesOf(result)![i]);
    return result;
  }

  /** Keeps what this request fetched, under the generations its lookup read. Not awaited: the answer does not wait for Redis, and a fill that fails is a miss next time. */
  private fillEntities(
    plan: FetchPlan,
    addresses: readonly EntryAddress[],
    found: readonly Lookup[],
    representations: readonly unknown[],
    fetched: ReadonlyMap<number, unknown>,
  ): void {
    void this.options.store.fill(
      [...fetched].map(([i, value]) => ({
        address: addresses[i]!,
        generations: found[i]!.generations,
        value,
        ttlSeconds: plan.policy.maxAge,
        cache: 'entity',
        subgraph: this.service,
        type: typenameOf(representations[i]),
      })),
    );
  }

  private async root(options: ProcessOptions, plan: FetchPlan, identity: Identity): Promise<Response> {
    const address = rootEntry(this.options.keyPrefix, this.service, plan.hash, options.request.variables, plan.policy, identity);
    if (!address) return this.inner.process(options);
    const [found] = await this.options.store.lookup([address]);
    this.count('root', '-', found!, options.context);
    if (found!.value !== undefined) return { data: found!.value };
    const fetched = await this.inner.process(await this.filling(options));
    if (!fetched.errors?.length && fetched.data)
      void this.options.store.fill([
        {
          address,
          generations: found!.generations,
          value: fetched.data,
          ttlSeconds: plan.policy.maxAge,
          cache: 'root',
          subgraph: this.service,
          type: '-',
        },
      ]);
    return fetched;
  }

  private count(cache: 'entity' | 'root', type: string, lookup: { value?: unknown; stale: boolean }, context: object): void {
    const hit = lookup.value !== undefined;
    this.options.metrics.lookups.inc({ cache, subgraph: this.service, type, result: hit ? 'hit' : lookup.stale ? 'stale' : 'miss' });
    this.options.count?.(context, hit);
  }
}

/** What this request's own fetch got that may be kept, by position in its claim: for the requests that joined it. */
function ownFetched(own: readonly number[], missing: readonly number[], fetched: ReadonlyMap<number, unknown>): Map<number, unknown> {
  return new Map(own.flatMap((j) => (fetched.has(missing[j]!) ? [[j, fetched.get(missing[j]!)] as const] : [])));
}

/**
 * Puts what the joined fetches got (`got`, in the order of `joined`) in its place among the
 * `entities`. The positions a joined fetch could not keep an entry for (an error on it) are
 * returned: this request fetches those itself.
 */
function placeJoined(entities: unknown[], joined: Claim['joined'], got: readonly unknown[], missing: readonly number[]): number[] {
  const unanswered: number[] = [];
  joined.forEach(([j], k) => (got[k] === undefined ? unanswered.push(missing[j]!) : (entities[missing[j]!] = got[k])));
  return unanswered;
}

/** The second fetch's answer, with the errors of both in the subgraph's order. */
function withErrorsOf(first: FetchResult, second: FetchResult): FetchResult {
  const errors = [...(first.errors ?? []), ...(second.errors ?? [])].sort((a, b) => entityPosition(a) - entityPosition(b));
  return { ...second, ...(errors.length && { errors }) };
}

/** Where an error of an `_entities` answer points (-1: at the fetch as a whole), to keep errors in the subgraph's order. */
function entityPosition(error: { path?: ReadonlyArray<string | number> }): number {
  const position = error.path?.[1];
  return typeof position === 'number' ? position : -1;
}

/** A representation's `__typename`, as the metrics label it. */
function typenameOf(representation: unknown): string {
  return String((representation as { __typename?: unknown }).__typename);
}
