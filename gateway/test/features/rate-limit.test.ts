/**
 * `createRateLimit` alone (in memory: no Redis), on a gateway of just that feature: what each
 * request pays and when, and that no way of sending gets more than the budget buys.
 */
import type { Identity, RawBodyRequest } from '@tessera/service-kit';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimit, type RateLimitOptions } from '../../src/features/rate-limit/index.js';
import type { GatewayContext } from '../../src/pipeline/index.js';
import { startFeatureServer, type FeatureServer } from './feature-server.js';

const silent = pino({ level: 'silent' });
const anonymous: Identity = { sub: undefined, scopes: new Set() };
/** The caller a request names in `authorization` (a stand-in for the identity feature), else anonymous. */
const identityOf = (request: object): Identity => {
  const sub = (request as RawBodyRequest).headers.authorization;
  return sub ? { sub, scopes: new Set() } : anonymous;
};
/** The cost a request names in `x-cost` (a stand-in for the operation limits), else none estimated. */
const costOf = (context: GatewayContext) => {
  const header = (context.httpRequest as RawBodyRequest | undefined)?.headers['x-cost'];
  return typeof header === 'string' ? Number(header) : undefined;
};

let server: FeatureServer | undefined;
afterEach(() => server?.close());

async function start(settings: Partial<RateLimitOptions>) {
  const rateLimit = createRateLimit({ keyPrefix: `rl-test-${Math.random()}:`, identityOf, costOf, logger: silent, ...settings });
  server = await startFeatureServer([rateLimit], { identityOf });
  return { rateLimit, server };
}

const QUERY = { query: '{ __typename }' };

describe('createRateLimit', () => {
  it('charges every request before it is parsed: a caller out of points gets 429 even for a document that does not parse', async () => {
    const { server } = await start({ points: 3, requestPoints: 1, bytesPerPoint: 0 });
    for (let i = 0; i < 3; i += 1)
      expect((await server.post({ query: '{ broken' })).body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const refused = await server.post({ query: '{ broken' });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', rateLimit: { points: 3, windowSeconds: 60 } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('charges bytes too: a large request costs what its size buys', async () => {
    const { server } = await start({ points: 10, requestPoints: 1, bytesPerPoint: 100 });
    // 1 + ceil(~600 bytes / 100) = 7 points, then 1 + 1 for a small one: the third large one is refused.
    const large = { query: `{ __typename }${' '.repeat(560)}` };
    expect((await server.post(large)).status).toBe(200);
    expect((await server.post(QUERY)).status).toBe(200);
    expect((await server.post(large)).status).toBe(429);
  });

  it('charges an operation its estimated cost on top of what the request paid, refusing at admission', async () => {
    const { server } = await start({ points: 12, requestPoints: 1, bytesPerPoint: 0 });
    // Each pays max(5, 1): 5, 10; the third would be 15.
    expect((await server.post(QUERY, { 'x-cost': '5' })).status).toBe(200);
    expect((await server.post(QUERY, { 'x-cost': '5' })).status).toBe(200);
    const refused = await server.post(QUERY, { 'x-cost': '5' });
    expect(refused.status).toBe(429);
    expect(server.executed).toHaveLength(2);
  });

  it('counts 1 per operation when not cost-weighted', async () => {
    const { server } = await start({ points: 4, requestPoints: 1, bytesPerPoint: 0, costWeighted: false });
    for (let i = 0; i < 4; i += 1) expect((await server.post(QUERY, { 'x-cost': '1000' })).status).toBe(200);
    expect((await server.post(QUERY)).status).toBe(429);
  });

  it('keeps one budget per signed-in subject, else per client address', async () => {
    const { server } = await start({ points: 2, requestPoints: 1, bytesPerPoint: 0 });
    expect((await server.post(QUERY)).status).toBe(200);
    expect((await server.post(QUERY)).status).toBe(200);
    expect((await server.post(QUERY)).status).toBe(429);
    expect((await server.post(QUERY, { authorization: 'alice' })).status).toBe(200);
    expect((await server.post(QUERY, { authorization: 'alice' })).status).toBe(200);
    expect((await server.post(QUERY, { authorization: 'alice' })).status).toBe(429);
    expect((await server.post(QUERY, { authorization: 'bob' })).status).toBe(200);
  });

  it('charges a request that takes a shared answer the operation cost less what its request paid', async () => {
    const { rateLimit } = await start({ points: 10, requestPoints: 1, bytesPerPoint: 0 });
    const request = { ip: '203.0.113.7', headers: {}, url: '/graphql' } as unknown as RawBodyRequest;
    expect(await rateLimit.chargeShared(request, anonymous, 6)).toBeUndefined();
    expect(await rateLimit.chargeShared(request, anonymous, 4)).toBeUndefined();
    expect((await rateLimit.chargeShared(request, anonymous, 1))?.extensions.code).toBe('RATE_LIMITED');
  });

  it('for any sequence of costs and sizes, admits exactly the requests the budget pays for, at max(cost, size charge) each', async () => {
    const POINTS = 25;
    const { server: gateway } = await start({ points: POINTS, requestPoints: 1, bytesPerPoint: 100 });
    const request = fc.record({ cost: fc.integer({ min: 0, max: 8 }), padding: fc.integer({ min: 0, max: 400 }) });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 12 }), async (requests) => {
        // A caller of its own per run: a budget of its own.
        const caller = { authorization: `caller-${(run += 1)}` };
        // The limiter's count: every charge is counted, refused or not; a charge is refused once the count is over the points.
        let consumed = 0;
        for (const { cost, padding } of requests) {
          const body = JSON.stringify({ query: `{ __typename }${' '.repeat(padding)}` });
          const sizeCharge = 1 + Math.ceil(Buffer.byteLength(body) / 100);
          let admitted = (consumed += sizeCharge) <= POINTS;
          if (admitted) {
            const owed = Math.max(1, cost) - Math.min(Math.max(1, cost), sizeCharge);
            if (owed > 0) admitted = (consumed += owed) <= POINTS;
          }
          const { status } = await gateway.post(body, { ...caller, 'x-cost': String(cost) });
          expect({ status, cost, padding }).toEqual({ status: admitted ? 200 : 429, cost, padding });
        }
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
