/**
 * Tracing end to end: the four services export OTLP/HTTP to a collector of this test's own, and
 * one client request is one trace — the gateway's planning and fetches, each subgraph's
 * operation, its DataLoader batches and Prisma's queries — continuing the client's traceparent.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createSubgraphDatabases,
  GRAPHQL_RESPONSE_ACCEPT,
  startPlatform,
  type Platform,
  type SubgraphDatabases,
} from '@tessera/test-helpers';

interface ExportedSpan {
  service: string;
  traceId: string;
  name: string;
}

let collector: Server;
const spans: ExportedSpan[] = [];
let dbs: SubgraphDatabases;
let platform: Platform;

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') spans.push(...readSpans(JSON.parse(body)));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
  dbs = await createSubgraphDatabases('tracing');
  platform = await startPlatform({
    env: { ...dbs.env, SEED_USERS: '10', SEED_PRODUCTS: '5', SEED_REVIEWS: '30', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
  });
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await dbs?.drop();
  await new Promise((resolve) => collector?.close(resolve));
});

/** The spans of an OTLP/JSON export, with the service each came from. */
function readSpans(body: any): ExportedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resource: any) => {
    const service = resource.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue ?? '?';
    return (resource.scopeSpans ?? []).flatMap((scope: any) =>
      (scope.spans ?? []).map((span: any) => ({ service, traceId: span.traceId, name: span.name })),
    );
  });
}

it("records one request as one trace across all four services, down to loaders and Prisma's queries", async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const response = await fetch(platform.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE_ACCEPT, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    body: JSON.stringify({
      query: 'query Top { topProducts(first: 3) { name reviews(first: 2) { edges { node { rating author { username } } } } } }',
    }),
  });
  expect(response.status).toBe(200);
  // The batch span processor exports every 5 s.
  await expect
    .poll(() => new Set(spans.filter((span) => span.traceId === traceId).map((span) => span.service)), { timeout: 20_000, interval: 250 })
    .toEqual(new Set(['gateway', 'users', 'products', 'reviews']));
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  const names = spans.filter((span) => span.traceId === traceId).map((span) => `${span.service} ${span.name}`);
  expect(names).toEqual(
    expect.arrayContaining([
      'gateway query Top',
      'gateway gateway.plan',
      'gateway gateway.fetch',
      expect.stringMatching(/^reviews (query|\{)/),
      'reviews loader reviewPagesByProduct',
      'users loader userById',
      expect.stringMatching(/^reviews prisma:/),
    ]),
  );
}, 60_000);
