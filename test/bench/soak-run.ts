import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { Platform, ServiceName } from '@tessera/test-helpers';

/** What a soak run saw. */
export interface SoakResult {
  requests: number;
  /** Socket errors, timeouts, non-2xx answers and answers carrying GraphQL errors. */
  errors: number;
  /** RSS of each service after the warm-up and at the end, in MiB, and the growth between them. */
  rss: Record<ServiceName, { startMiB: number; endMiB: number; growth: number }>;
}

const QUERY = JSON.stringify({ query: '{ topProducts(first: 5) { name averageRating reviews(first: 3) { edges { node { rating author { username } } } } } }' });

function rssMiB(pid: number): number {
  const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return (pages * 4_096) / 1_048_576;
}

/**
 * A fixed-rate soak through the gateway: `rate` requests per second for `seconds` (after a
 * warm-up), counting every error, and each service's RSS growth over the run — the figures
 * `pnpm bench:soak` prints and the soak test asserts (errors and growth, not speed).
 */
export async function soak(platform: Platform, { rate = 100, seconds = 60, warmupSeconds = 10 } = {}): Promise<SoakResult> {
  const services: ServiceName[] = ['gateway', 'users', 'products', 'reviews'];
  const request = { url: platform.gatewayUrl, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: QUERY, connections: 10 };
  await autocannon({ ...request, overallRate: rate, duration: warmupSeconds });
  const start = Object.fromEntries(services.map((s) => [s, rssMiB(platform.pid(s))]));
  // An answer carrying GraphQL errors counts as a mismatch.
  const result = await autocannon({ ...request, overallRate: rate, duration: seconds, verifyBody: (body: string) => !body.includes('"errors"') } as autocannon.Options);
  const end = Object.fromEntries(services.map((s) => [s, rssMiB(platform.pid(s))]));
  const rss = Object.fromEntries(services.map((s) => [s, { startMiB: start[s]!, endMiB: end[s]!, growth: end[s]! / start[s]! - 1 }])) as SoakResult['rss'];
  return { requests: result.requests.total, errors: result.errors + result.timeouts + result.non2xx + result.mismatches, rss };
}
