import { request as httpRequest, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createSubgraphDatabases, sqlRows, startDelayingProxy, startPlatform, SUBGRAPH_NAMES, type Platform } from '@tessera/test-helpers';
import { repoRoot, tesseraGateway } from '../gateways.js';
import { pin } from '../processes.js';
import type { BenchSettings } from '../settings.js';
import { processGauge } from '../subscriptions/process-gauge.js';
import { percentile, sortedOf } from '../subscriptions/stats.js';

/** The product page with its reviews deferred: name and price first, the reviews (from the slowed subgraph) after. */
export const DEFERRED_PRODUCT_PAGE = `query ProductPage($id: ID!) {
  product(id: $id) {
    id name description price { amount currency } inStock
    ... @defer(label: "reviews") {
      averageRating reviewCount
      reviews(first: 10) { edges { node { rating body createdAt author { username } } } pageInfo { hasNextPage endCursor } }
    }
  }
}`;
const PRODUCT_PAGE = DEFERRED_PRODUCT_PAGE.replace(' @defer(label: "reviews")', '');
const ACCEPT_PARTS = 'multipart/mixed; deferSpec=20220824, application/json';
const SEED = { SEED_USERS: '1000', SEED_PRODUCTS: '500', SEED_REVIEWS: '10000' };

/** One variant's run: answers per second, time to the first part and to the whole answer, gateway CPU per request. */
export interface DeferFigures {
  variant: string;
  requestsPerSecond: number;
  firstMs: { p50: number; p99: number };
  wholeMs: { p50: number; p99: number };
  gatewayCpuMsPerRequest: number;
  failures: number;
}

/**
 * `defer`: the product page with its reviews deferred against the same page without `@defer`,
 * 50 clients, the reviews subgraph behind a proxy that holds each call `delayMs`. For each answer
 * the time to its first part (the first chunk: the whole answer without `@defer`) and to its end;
 * the gateway's CPU per answer. A-B-A-B, `repeats` runs of `seconds` each.
 */
export async function runDeferWorkload(settings: BenchSettings, delayMs = 50): Promise<DeferFigures[]> {
  const dbs = await createSubgraphDatabases('bench_defer');
  const platform = await startPlatform({ env: { ...SEED, ...dbs.env, ...settings.tesseraEnv }, readyTimeoutMs: 300_000 });
  const proxy = await startDelayingProxy(`http://127.0.0.1:${platform.ports.reviews}`, delayMs);
  try {
    await platform.kill('gateway');
    for (const name of SUBGRAPH_NAMES) await pin(platform.pid(name), settings.backendCore);
    const ids = (await sqlRows<{ id: string }>(dbs.byName.products.url, 'SELECT id FROM products ORDER BY id')).map((r) => r.id);
    const gateway = await tesseraGateway('Tessera').start({
      core: settings.gatewayCore,
      supergraphPath: join(repoRoot, 'supergraph.graphql'),
      // Caches off: a cached whole answer would skip the slowed subgraph, and @defer's parts are not cached whole.
      env: { ...settings.tesseraEnv, CACHE_MODE: 'off', ...subgraphUrls(platform, (proxy.address() as AddressInfo).port) },
    });
    try {
      const variants = [
        { variant: '@defer, parts (first part / last part)', query: DEFERRED_PRODUCT_PAGE, accept: ACCEPT_PARTS },
        { variant: 'without @defer (whole answer)', query: PRODUCT_PAGE, accept: 'application/json' },
      ];
      const gauge = processGauge(gateway.pid);
      for (const v of variants) await drive(gateway.url, v, ids, settings, settings.load.warmupSeconds.first, gauge);
      const runs: DeferFigures[][] = variants.map(() => []);
      for (let repeat = 0; repeat < settings.load.repeats; repeat++) {
        for (const [i, v] of variants.entries()) runs[i]!.push(await drive(gateway.url, v, ids, settings, settings.load.seconds, gauge));
      }
      return runs.map(best);
    } finally {
      await gateway.stop();
    }
  } finally {
    proxy.close();
    await platform.stop();
    await dbs.drop();
  }
}

/** The run with the most answers per second of a variant's runs. */
const best = (runs: DeferFigures[]) => runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));

/** Every subgraph's `SUBGRAPH_<NAME>_URL` on the platform, the slowed one's through its proxy. */
function subgraphUrls(platform: Platform, reviewsProxyPort: number): Record<string, string> {
  const port = (name: (typeof SUBGRAPH_NAMES)[number]) => (name === 'reviews' ? reviewsProxyPort : platform.ports[name]);
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, `http://127.0.0.1:${port(name)}/graphql`]));
}

/** `connections` clients asking for `query` back to back for `seconds`, each answer checked (200, data, no errors). */
async function drive(
  url: string,
  { variant, query, accept }: { variant: string; query: string; accept: string },
  ids: string[],
  settings: BenchSettings,
  seconds: number,
  gauge: ReturnType<typeof processGauge>,
): Promise<DeferFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: settings.load.connections });
  const first: number[] = [];
  const whole: number[] = [];
  let failures = 0;
  let next = 0;
  const cpuBefore = gauge.cpuSeconds();
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  const client = async () => {
    while (performance.now() < deadline) {
      const id = ids[next++ % ids.length]!;
      const answer = await ask(url, agent, { ...settings.clientHeaders, accept }, JSON.stringify({ query, variables: { id } }));
      if (!answer.ok) failures += 1;
      else {
        first.push(answer.firstMs);
        whole.push(answer.wholeMs);
      }
    }
  };
  await Promise.all(Array.from({ length: settings.load.connections }, client));
  const elapsed = (performance.now() - started) / 1_000;
  const cpu = gauge.cpuSeconds() - cpuBefore;
  agent.destroy();
  const at = (values: number[]) => {
    const sorted = sortedOf(values);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  };
  return {
    variant,
    requestsPerSecond: whole.length / elapsed,
    firstMs: at(first),
    wholeMs: at(whole),
    gatewayCpuMsPerRequest: (cpu * 1_000) / Math.max(1, whole.length),
    failures,
  };
}

/** One POST: when its first chunk and its end arrived, and whether it was a full, error-free answer. */
function ask(url: string, agent: Agent, headers: Record<string, string>, body: string) {
  const sent = performance.now();
  return new Promise<{ ok: boolean; firstMs: number; wholeMs: number }>((resolve) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json' } }, (res) => {
      let firstMs = -1;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (firstMs < 0) firstMs = performance.now() - sent;
        text += chunk;
      });
      res.on('end', () => {
        const ok = res.statusCode === 200 && !text.includes('"errors"') && text.includes('"reviews"') && text.includes('"name"');
        resolve({ ok, firstMs, wholeMs: performance.now() - sent });
      });
    });
    req.on('error', () => resolve({ ok: false, firstMs: 0, wholeMs: 0 }));
    req.end(body);
  });
}

/** The workload's table, and CPU per answer with `@defer` against without. */
export function deferTable(figures: DeferFigures[]): string {
  const [parts, whole] = figures;
  const ms = (n: number) => n.toFixed(1);
  const rows = figures.map(
    (f) =>
      `| ${f.variant} | ${f.requestsPerSecond.toFixed(0)} | ${ms(f.firstMs.p50)} | ${ms(f.firstMs.p99)} | ${ms(f.wholeMs.p50)} | ${ms(f.wholeMs.p99)} | ${f.gatewayCpuMsPerRequest.toFixed(2)} | ${f.failures} |`,
  );
  return [
    '### `defer`: the product page with its reviews deferred, the reviews subgraph slowed by 50 ms (Tessera)',
    '',
    '| variant | answers/s | first part p50 ms | first part p99 ms | whole p50 ms | whole p99 ms | gateway CPU ms/answer | failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    parts && whole
      ? `First part p50 with @defer / whole answer p50 without: ${(parts.firstMs.p50 / whole.wholeMs.p50).toFixed(2)}; gateway CPU per answer with @defer / without: ${(parts.gatewayCpuMsPerRequest / whole.gatewayCpuMsPerRequest).toFixed(2)}× (goal ≤ 1.2×).`
      : '',
  ].join('\n');
}
