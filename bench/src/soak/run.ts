import type { Platform, ServiceName } from '@tessera/test-helpers';
import { runLoad, type WorkloadRequest } from '../load.js';
import { rssBytes } from '../processes.js';

/** What a soak run saw. */
export interface SoakResult {
  requests: number;
  /** Socket errors, timeouts, non-2xx answers and answers carrying GraphQL errors. */
  errors: number;
  /** Each service's RSS high-water mark over the first and over the second half of the run, in MiB, and the growth between them. */
  rss: Record<ServiceName, { startMiB: number; endMiB: number; growth: number }>;
}

const REQUESTS: WorkloadRequest[] = [
  {
    body: JSON.stringify({
      query: '{ topProducts(first: 5) { name averageRating reviews(first: 3) { edges { node { rating author { username } } } } } }',
    }),
  },
];

/**
 * A fixed-rate soak through the gateway: `rate` requests per second for `seconds`, counting
 * every error, and each service's RSS growth over the run — the figures `pnpm bench:soak` prints
 * and the soak test asserts (errors and growth, not speed).
 *
 * RSS is sampled every second and compared as high-water marks, first half against second half:
 * V8 lets old space fill to about three times what is live before a major collection (the
 * gateway's, measured at 50/s: 67 MiB → 185 MiB over 70 s, then back to 63 MiB), so two single
 * readings show where the collector's sawtooth happened to be, not a leak. A leak raises the
 * second half's peak. The warm-up (`warmupRequests`, as fast as they go) gets every process past
 * its first collections and JIT compilation.
 */
export async function soak(platform: Platform, { rate = 100, seconds = 60, warmupRequests = 20_000 } = {}): Promise<SoakResult> {
  const services: ServiceName[] = ['gateway', 'users', 'products', 'reviews'];
  const load = { url: platform.gatewayUrl, requests: REQUESTS, connections: 10, countFailures: true };
  await runLoad({ ...load, amount: warmupRequests });
  const samples: Array<Record<string, number>> = [];
  const rssMiB = (service: ServiceName) => rssBytes(platform.pid(service)) / 1_048_576;
  const sampler = setInterval(() => samples.push(Object.fromEntries(services.map((s) => [s, rssMiB(s)]))), 1_000);
  // An answer carrying GraphQL errors counts as a failure.
  const result = await runLoad({
    ...load,
    rate,
    seconds,
    verify: (_request, _status, body) => (body.includes('"errors"') ? body.slice(0, 300) : undefined),
  });
  clearInterval(sampler);
  const half = Math.floor(samples.length / 2);
  const peak = (service: string, from: number, to: number) => Math.max(...samples.slice(from, to).map((sample) => sample[service]!));
  const rss = Object.fromEntries(
    services.map((s) => {
      const [startMiB, endMiB] = [peak(s, 0, half), peak(s, half, samples.length)];
      return [s, { startMiB, endMiB, growth: endMiB / startMiB - 1 }];
    }),
  ) as SoakResult['rss'];
  return { requests: result.requests, errors: result.failures, rss };
}
