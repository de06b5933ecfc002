/**
 * Progressive override: `Product.name` moved from products to reviews under `percent(50)`
 * (Federation 2.7's `@override(from:, label:)`), composed with `@apollo/composition` and served by
 * the whole gateway in front of a subgraph that answers as both and says which one served the
 * field. Over many callers about half are served by each, each caller always by the same one, every
 * answer is correct, and the metric counts each side.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { metricSum, testToken } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overrideLabelsOf, resolveLabels } from '../src/features/override/index.js';
import { composeSubgraphs } from '../src/supergraph/index.js';
import { startTestGateway, untilOwnPartsReady, type TestGateway } from './support/gateway.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@override"])';
const PRODUCTS = `${LINK}
type Query { product(id: ID!): Product }
type Product @key(fields: "id") { id: ID! name: String! }`;
const REVIEWS = `${LINK}
type Product @key(fields: "id") { id: ID! name: String! @override(from: "products", label: "percent(50)") }`;

/** One subgraph server answering as products (the root field) and as reviews (`_entities`), counting which served `name`. */
function twoSubgraphs() {
  const served = { products: 0, reviews: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      // The gateway's health checks too: anything but a query gets an empty answer.
      const { query = '' } = (body.startsWith('{') ? JSON.parse(body) : {}) as { query?: string };
      let data: unknown;
      if (!query.includes('product') && !query.includes('_entities')) data = { __typename: 'Query' };
      else if (query.includes('_entities')) {
        served.reviews += 1;
        data = { _entities: [{ __typename: 'Product', name: 'Product 1' }] };
      } else {
        const withName = /\bname\b/.test(query);
        if (withName) served.products += 1;
        data = { product: { __typename: 'Product', id: '1', ...(withName && { name: 'Product 1' }) } };
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data }));
    });
  });
  return { server, served };
}

let gateway: TestGateway;
let subgraphs: ReturnType<typeof twoSubgraphs>;

beforeAll(async () => {
  subgraphs = twoSubgraphs();
  await new Promise<void>((resolve) => subgraphs.server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(subgraphs.server.address() as AddressInfo).port}/graphql`;
  const outcome = composeSubgraphs([
    { name: 'products', url, sdl: PRODUCTS },
    { name: 'reviews', url, sdl: REVIEWS },
  ]);
  if (!outcome.supergraphSdl) throw new Error(JSON.stringify(outcome.problems));
  const path = join(await mkdtemp(join(tmpdir(), 'override-')), 'supergraph.graphql');
  await writeFile(path, outcome.supergraphSdl);
  gateway = await startTestGateway({ SUPERGRAPH_PATH: path, CACHE_MODE: 'off', OPERATION_DEDUPLICATION: 'false' }, { subgraphUrl: url });
  await untilOwnPartsReady(gateway);
});

afterAll(async () => {
  await gateway?.close();
  (subgraphs?.server as Server | undefined)?.close();
});

const QUERY = '{ product(id: "1") { id name } }';

/** Asks as `sub`; which subgraph served `name`. */
async function ask(sub: string): Promise<'products' | 'reviews'> {
  const before = { ...subgraphs.served };
  const { status, body } = await gateway.post({ query: QUERY }, { authorization: `Bearer ${await testToken({ sub })}` });
  expect(status).toBe(200);
  expect(body).toEqual({ data: { product: { id: '1', name: 'Product 1' } } });
  const byReviews = subgraphs.served.reviews - before.reviews;
  const byProducts = subgraphs.served.products - before.products;
  expect(byReviews + byProducts, 'exactly one subgraph served name').toBe(1);
  return byReviews ? 'reviews' : 'products';
}

describe('progressive override', () => {
  it('reads the labels from the supergraph', () => {
    const outcome = composeSubgraphs([
      { name: 'products', url: 'http://p', sdl: PRODUCTS },
      { name: 'reviews', url: 'http://r', sdl: REVIEWS },
    ]);
    expect(overrideLabelsOf(outcome.supergraphSdl!)).toEqual(['percent(50)']);
  });

  it('resolves percent(N) for N % of callers, each always the same way; other labels as configured', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.uniqueArray(fc.uuid(), { minLength: 2_000, maxLength: 2_000 }), (n, callers) => {
        const label = `percent(${n})`;
        const on = callers.filter((callerKey) => resolveLabels([label], { callerKey, enabled: new Set() }).get(label)).length;
        // Binomial(2000, n %): within 5 standard deviations (plus one caller) of n %.
        const sd = Math.sqrt(2_000 * (n / 100) * (1 - n / 100));
        expect(Math.abs(on - 20 * n)).toBeLessThanOrEqual(5 * sd + 1);
        for (const callerKey of callers.slice(0, 20)) {
          expect(resolveLabels([label], { callerKey, enabled: new Set() })).toEqual(
            resolveLabels([label], { callerKey, enabled: new Set() }),
          );
        }
      }),
      { numRuns: 40 },
    );
    expect(resolveLabels(['beta', 'gamma'], { callerKey: 'x', enabled: new Set(['beta']) })).toEqual(
      new Map([
        ['beta', true],
        ['gamma', false],
      ]),
    );
  });

  it('serves about half of 300 callers from each subgraph under percent(50), each caller always from the same one, every answer correct', async () => {
    const sides = new Map<string, string>();
    for (let i = 0; i < 300; i++) sides.set(`caller-${i}`, await ask(`caller-${i}`));
    const byReviews = [...sides.values()].filter((side) => side === 'reviews').length;
    // Binomial(300, ½): 150 ± 3 standard deviations (≈ 26).
    expect(byReviews).toBeGreaterThan(124);
    expect(byReviews).toBeLessThan(176);
    for (const sub of [...sides.keys()].slice(0, 40)) expect(await ask(sub)).toBe(sides.get(sub));
    const metrics = await (await fetch(`${gateway.metricsUrl}/metrics`)).text();
    expect(metricSum(metrics, 'graphql_override_label_requests_total', { label: 'percent(50)', overridden: 'true' })).toBe(
      byReviews + [...sides.keys()].slice(0, 40).filter((sub) => sides.get(sub) === 'reviews').length,
    );
  }, 60_000);
});
