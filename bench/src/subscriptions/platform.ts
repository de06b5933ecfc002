import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSubgraphDatabases,
  metricSum,
  processTree,
  requireEnv,
  scrapeMetrics,
  sqlRows,
  startOwnPostgres,
  startPlatform,
  SUBGRAPH_NAMES,
  type OwnPostgres,
  type Platform,
} from '@tessera/test-helpers';
import { Redis } from 'ioredis';
import { repoRoot } from '../gateways.js';
import { pin, type Measured } from '../processes.js';

/** Subgraph data: enough products for the subscribers to spread over, a few reviews to start from. */
const SEED = { SEED_USERS: '200', SEED_PRODUCTS: '200', SEED_REVIEWS: '200' };

/** The subgraphs the benchmark's gateways stand in front of, and what it needs to know of them. */
export interface SubscriptionPlatform {
  platform: Platform;
  /** The three subgraphs' processes (their CPU is reported beside the gateway's). */
  subgraphs: Measured[];
  /** Tessera's supergraph routed to this platform's subgraphs, for the peers. */
  supergraphPath: string;
  /** `SUBGRAPH_<NAME>_URL` for Tessera's gateway. */
  subgraphUrls: Record<string, string>;
  reviewsUrl: string;
  /** The reviews database, where each review's commit time is read back. */
  reviewsDatabaseUrl: string;
  /** Products the subscribers subscribe to (in id order). */
  productIds: string[];
  /** A user who exists: the author of every review written. */
  authorId: string;
  /** Subscriptions the reviews subgraph serves now (`events_subscriptions_active`). */
  upstreamSubscriptions(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The three subgraphs on a PostgreSQL server of the benchmark's own, started with
 * `track_commit_timestamp = on`, so that each review's commit time is read back exactly
 * (`pg_xact_commit_timestamp(xmin)`); Redis (TEST_REDIS_URL) as their events bus; the platform's own
 * gateway stopped; the subgraphs, PostgreSQL and Redis pinned to `core`.
 */
export async function startSubscriptionPlatform(core: number, workDir: string, productCount: number): Promise<SubscriptionPlatform> {
  const postgres = await startOwnPostgres();
  const stops: Array<() => Promise<unknown>> = [() => postgres.destroy()];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error: unknown) => console.error('  cleanup:', error));
  };
  try {
    await trackCommitTimestamps(postgres);
    const dbs = await createSubgraphDatabases('bench_subscriptions', postgres.url);
    stops.push(() => dbs.drop());
    const redisUrl = requireEnv('TEST_REDIS_URL');
    const platform = await startPlatform({ env: { ...dbs.env, ...SEED, REDIS_URL: redisUrl }, readyTimeoutMs: 300_000 });
    stops.push(() => platform.stop());
    await platform.kill('gateway');
    const subgraphs: Measured[] = SUBGRAPH_NAMES.map((name) => ({ name, pid: platform.pid(name) }));
    const servers = [...processTree(await postmasterPid(postgres.url)), await redisPid(redisUrl)];
    for (const pid of [...subgraphs.map((s) => s.pid), ...servers]) await pin(pid, core);
    const url = (name: string) => `http://127.0.0.1:${platform.ports[name as keyof Platform['ports']]}/graphql`;
    const products = await sqlRows<{ id: string }>(dbs.byName.products.url, 'SELECT id FROM products ORDER BY id LIMIT $1', [productCount]);
    const [author] = await sqlRows<{ id: string }>(dbs.byName.users.url, 'SELECT id FROM users ORDER BY id LIMIT 1');
    return {
      platform,
      subgraphs,
      supergraphPath: routedSupergraph(url, join(workDir, 'tessera-supergraph.graphql')),
      subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url(name)])),
      reviewsUrl: url('reviews'),
      reviewsDatabaseUrl: dbs.byName.reviews.url,
      productIds: products.map((p) => p.id),
      authorId: author!.id,
      upstreamSubscriptions: async () => metricSum(await scrapeMetrics(platform.metricsPorts.reviews), 'events_subscriptions_active'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Turns commit timestamps on (a setting read only at start-up: the server is restarted). */
async function trackCommitTimestamps(postgres: OwnPostgres): Promise<void> {
  await sqlRows(postgres.url, 'ALTER SYSTEM SET track_commit_timestamp = on');
  await postgres.stop();
  await postgres.resume();
  const [setting] = await sqlRows<{ track_commit_timestamp: string }>(postgres.url, 'SHOW track_commit_timestamp');
  if (setting?.track_commit_timestamp !== 'on') throw new Error('PostgreSQL did not turn track_commit_timestamp on');
}

/** The postmaster's pid (its backends are forked from it, and inherit where it is pinned). */
async function postmasterPid(url: string): Promise<number> {
  const [row] = await sqlRows<{ data_directory: string }>(url, 'SHOW data_directory');
  return Number(readFileSync(join(row!.data_directory, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function redisPid(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    return Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
  } finally {
    redis.disconnect();
  }
}

/**
 * Tessera's supergraph for the peers, routed to this platform's subgraphs (Tessera's gateway reads
 * the repository's own file, routed by SUBGRAPH_<NAME>_URL), with `for: SECURITY` taken off the
 * `@authenticated`/`@requiresScopes` links as `pnpm bench:gateway` does (no field read here is protected).
 */
function routedSupergraph(url: (name: string) => string, path: string): string {
  let sdl = readFileSync(join(repoRoot, 'supergraph.graphql'), 'utf8').replaceAll(', for: SECURITY)', ')');
  for (const name of SUBGRAPH_NAMES) {
    sdl = sdl.replace(new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]*`), `$1${url(name)}`);
  }
  writeFileSync(path, sdl);
  return path;
}
