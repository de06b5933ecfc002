/**
 * `assembleFeatures`: an ordered list of features taken apart point by point, the list's order
 * kept at every point — generated lists of features, each acting at some points, against the order
 * in which they are seen to act.
 */
import type { GraphQLDataSource } from '@apollo/gateway';
import type { HTTPGraphQLResponse } from '@apollo/server';
import type { HttpReply, RawBodyRequest } from '@tessera/service-kit';
import fc from 'fast-check';
import { buildSchema, GraphQLSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  assembleFeatures,
  withExecutionSteps,
  type ExecutingGateway,
  type GatewayContext,
  type GatewayFeature,
} from '../src/pipeline/index.js';

/** Which points a generated feature acts at. */
const POINTS = ['guard', 'admit', 'plugins', 'execute', 'wrapSubgraph', 'onSupergraph', 'ready', 'close'] as const;
type Point = (typeof POINTS)[number];

/** A feature named `name` that, at each of `points`, notes `name` in `trail[point]` when it acts. */
function recordingFeature(name: string, points: ReadonlySet<Point>, trail: Record<Point, string[]>): GatewayFeature {
  const note = (point: Point): void => void trail[point].push(name);
  return {
    name,
    ...(points.has('guard') && { guard: async () => note('guard') }),
    ...(points.has('admit') && { admit: () => note('admit') }),
    ...(points.has('plugins') && { plugins: [{ requestDidStart: async () => void note('plugins') }] }),
    ...(points.has('execute') && { execute: (request, next) => (note('execute'), next(request)) }),
    ...(points.has('wrapSubgraph') && {
      wrapSubgraph: (_subgraph, source) => ({ process: (options) => (note('wrapSubgraph'), source.process(options)) }),
    }),
    ...(points.has('onSupergraph') && { onSupergraph: () => note('onSupergraph') }),
    ...(points.has('ready') && { ready: async () => note('ready') }),
    ...(points.has('close') && { close: () => note('close') }),
  };
}

const emptyTrail = (): Record<Point, string[]> =>
  Object.fromEntries(POINTS.map((point) => [point, []])) as unknown as Record<Point, string[]>;

/** Runs each assembled point once, as a request and the gateway's life would. */
async function actAtEveryPoint(features: GatewayFeature[]): Promise<void> {
  const parts = assembleFeatures(features);
  for (const guard of parts.guards) await guard({} as RawBodyRequest, {} as HttpReply);
  // Each plugin's request hooks, as Apollo Server runs them: the admission steps run in the last plugin's didResolveOperation.
  const schema = buildSchema('type Query { a: Int }');
  const operation = { schema, document: parse('{ a }'), request: { operationName: null, variables: {} } };
  for (const plugin of parts.plugins) {
    const listener = await plugin.requestDidStart?.({} as never);
    await listener?.didResolveOperation?.(operation as never);
  }
  const gateway: ExecutingGateway = {
    onSchemaLoadOrUpdate: () => () => {},
    stop: async () => {},
    load: async () => ({ schema: new GraphQLSchema({}), executor: async () => ({ data: {} }) }),
  };
  const { executor } = await withExecutionSteps(gateway, parts.execution).load();
  await executor({} as never);
  const source: GraphQLDataSource<GatewayContext> = { process: async () => ({ data: {} }) };
  await parts.wrapSubgraph('users', source).process({} as never);
  parts.onSupergraph({ sdl: '', apiSchema: new GraphQLSchema({}), subgraphs: new Map() });
  for (const check of Object.values(parts.readiness)) await check();
  await parts.close();
}

describe('assembleFeatures', () => {
  it('keeps the list order at every point a feature acts at (closing: the reverse)', async () => {
    const feature = fc.subarray([...POINTS]);
    await fc.assert(
      fc.asyncProperty(fc.array(feature, { maxLength: 8 }), async (pointsOfEach) => {
        const trail = emptyTrail();
        const names = pointsOfEach.map((_, i) => `f${i}`);
        await actAtEveryPoint(pointsOfEach.map((points, i) => recordingFeature(names[i]!, new Set(points), trail)));
        for (const point of POINTS) {
          const acting = names.filter((_, i) => pointsOfEach[i]!.includes(point));
          expect({ point, order: trail[point] }).toEqual({ point, order: point === 'close' ? [...acting].reverse() : acting });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('runs the admission steps as one hook after every feature’s own hooks, and names readiness by feature', () => {
    const parts = assembleFeatures([
      { name: 'a', admit: () => {}, plugins: [{}], ready: async () => {} },
      { name: 'b', plugins: [{}] },
      { name: 'c', admit: () => {} },
    ]);
    expect(parts.plugins).toHaveLength(3);
    expect(Object.keys(parts.readiness)).toEqual(['a']);
  });

  it('refuses a list naming a feature twice, or two features answering around the pipeline', () => {
    expect(() => assembleFeatures([{ name: 'x' }, { name: 'x' }])).toThrow('gateway feature "x" is listed twice');
    const around = async (): Promise<HTTPGraphQLResponse | null> => null;
    expect(() =>
      assembleFeatures([
        { name: 'a', around },
        { name: 'b', around },
      ]),
    ).toThrow('at most one gateway feature');
  });

  it('hands each execution step the request the step before it passed on', async () => {
    const seen: string[] = [];
    const steps = assembleFeatures([
      { name: 'rewrite', execute: (request, next) => next({ ...request, queryHash: 'rewritten' }) },
      { name: 'read', execute: (request, next) => (seen.push(request.queryHash), next(request)) },
    ]).execution;
    const gateway: ExecutingGateway = {
      onSchemaLoadOrUpdate: () => () => {},
      stop: async () => {},
      load: async () => ({ schema: new GraphQLSchema({}), executor: async (request) => ({ data: { hash: request.queryHash } }) }),
    };
    const { executor } = await withExecutionSteps(gateway, steps).load();
    expect(await executor({ queryHash: 'sent' } as never)).toEqual({ data: { hash: 'rewritten' } });
    expect(seen).toEqual(['rewritten']);
  });
});
