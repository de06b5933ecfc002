import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireEnv, TEST_AUTH, TEST_AUTH_ENV } from '@tessera/test-helpers';
import type { WorkloadOptions } from './compare.js';
import { repoRoot } from './gateways.js';

/** Everything a workload needs to know about the run. */
export interface BenchSettings {
  node: string;
  /** The core every gateway is pinned to; subgraphs, PostgreSQL and the load generator get the other. */
  gatewayCore: number;
  backendCore: number;
  workDir: string;
  load: Pick<WorkloadOptions, 'connections' | 'seconds' | 'warmupSeconds' | 'repeats'>;
  /** Tessera's gateway with every feature on: limits, persisted queries, authentication, metrics, request logs. */
  tesseraEnv: Record<string, string>;
  /** What clients send besides the body (a bearer token for Tessera's authentication). */
  clientHeaders: Record<string, string>;
}

/** Reads the knobs (BENCH_SECONDS, BENCH_REPEATS, BENCH_CONNECTIONS) once. */
export function benchSettings(token: string): BenchSettings {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  return {
    node: resolve(repoRoot, 'node_modules/.bin/node'),
    gatewayCore: 0,
    backendCore: 1,
    workDir: mkdtempSync(join(tmpdir(), 'bench-gateway-')),
    load: {
      connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
      seconds,
      warmupSeconds: { first: Math.max(3, seconds), each: Math.max(1, Math.round(seconds / 4)) },
      repeats: Number(process.env.BENCH_REPEATS ?? 2),
    },
    tesseraEnv: {
      ...TEST_AUTH_ENV,
      LOG_LEVEL: 'info',
      LIMITS_MODE: 'enforce',
      // The Guild's TestQuery nests five lists: its estimate with the default list size (10) is far above 10,000.
      COST_MAX: '10000000',
      PERSISTED_QUERIES_MODE: 'allow',
      REDIS_URL: requireEnv('TEST_REDIS_URL'),
    },
    clientHeaders: { authorization: `Bearer ${token}` },
  };
}

export { TEST_AUTH };
