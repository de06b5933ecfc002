/**
 * Tracing end to end: the four services export OTLP/HTTP to a collector of this test's own, and
 * one client request is one trace — the gateway's planning and fetches, each subgraph's
 * operation, its DataLoader batches and Prisma's queries — continuing the client's traceparent.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postGraphQL, startPlatformWithDatabases, type PlatformWithDatabases } from '@tessera/test-helpers';

interface ExportedSpan {
  service: string;
  traceId: string;
  name: string;
}

/** The parts of an OTLP/JSON trace export read here. */
interface OtlpTraceExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value?: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; name: string }> }>;
  }>;
}

let collector: Server;
const spans: ExportedSpan[] = [];
let platform: PlatformWithDatabases;

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') spans.push(...readSpans(JSON.parse(body) as OtlpTraceExport));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
  platform = await startPlatformWithDatabases('tracing', {
    env: {
      SEED_USERS: '10',
      SEED_PRODUCTS: '5',
      SEED_REVIEWS: '30',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      // The batch span processor exports every 5 s by default: every 100 ms here, so what a
      // test waits for arrives as soon as its spans have ended.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await new Promise((resolve) => collector?.close(resolve));
});

/** The spans of an OTLP/JSON export, with the service each came from. */
function readSpans(body: OtlpTraceExport): ExportedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resource) => {
    const service = resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? '?';
    return (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({ service, traceId: span.traceId, name: span.name })),
    );
  });
}

it("records one request as one trace across all four services, down to loaders and Prisma's queries", async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const response = await postGraphQL(
    platform.gatewayUrl,
    { query: 'query Top { topProducts(first: 3) { name reviews(first: 2) { edges { node { rating author { username } } } } } }' },
    { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  );
  expect(response.status).toBe(200);
  const ofTrace = () => spans.filter((span) => span.traceId === traceId);
  await expect
    .poll(() => new Set(ofTrace().map((span) => span.service)), { timeout: 20_000, interval: 100 })
    .toEqual(new Set(['gateway', 'users', 'products', 'reviews']));
  // Each service exports a span once it has ended, the request's own (`gateway query Top`) last:
  // waits until every one asked for has arrived.
  await expect
    .poll(() => ofTrace().map((span) => `${span.service} ${span.name}`), { timeout: 20_000, interval: 100 })
    .toEqual(
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

it("puts each deferred part's fetches in the request's trace, under a gateway.defer span of their own", async () => {
  const traceId = '5c0a8b1f3e2d4c6b8a9e7f1d2c3b4a50';
  const response = await fetch(platform.gatewayUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'multipart/mixed; deferSpec=20220824, application/json',
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    },
    body: JSON.stringify({
      query:
        'query Deferred { topProducts(first: 3) { name ... @defer(label: "reviews") { reviews(first: 2) { edges { node { rating } } } } } }',
    }),
  });
  expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
  await response.text();
  await expect
    .poll(() => spans.filter((span) => span.traceId === traceId).map((span) => `${span.service} ${span.name}`), {
      timeout: 20_000,
      interval: 100,
    })
    .toEqual(
      expect.arrayContaining([
        'gateway query Deferred',
        'gateway gateway.defer',
        expect.stringMatching(/^reviews (query|\{)/),
        'reviews loader reviewPagesByProduct',
      ]),
    );
}, 60_000);
