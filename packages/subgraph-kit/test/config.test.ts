import { ConfigError } from '@tessera/service-kit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BATCH_SIZE, loadSubgraphConfig } from '../src/index.js';

const KEYS = `k1:${'s'.repeat(32)}`;
/** What production needs at least: a database and the gateway's signing keys. */
const PRODUCTION = { REVIEWS_DATABASE_URL: 'postgres://db/reviews', SUBGRAPH_SIGNING_KEYS: KEYS };

describe('loadSubgraphConfig', () => {
  it('in development, has defaults for everything: the embedded database, demo data, introspection, loopback', () => {
    expect(loadSubgraphConfig({ name: 'users', defaultPort: 4001 }, { NODE_ENV: 'development' })).toEqual({
      name: 'users',
      nodeEnv: 'development',
      development: true,
      logLevel: 'info',
      prettyLogs: true,
      host: '127.0.0.1',
      signingKeys: undefined,
      port: 4001,
      metricsPort: 9401,
      concurrency: { maxInFlight: 1_024, maxQueued: 1_024 },
      shutdownDelayMs: 0,
      trustProxy: false,
      otlpEndpoint: undefined,
      database: {
        url: undefined,
        migrationUrl: undefined,
        replicaUrls: [],
        replicaMaxLagMs: 1_000,
        replicaPollMs: 100,
        migrations: 'apply',
        poolSize: 10,
        acquireTimeoutMs: 2_000,
        statementTimeoutMs: 5_000,
        preparedStatements: true,
        dataDir: '.data/users',
      },
      redis: { url: undefined, keyPrefix: 'tessera:', timeoutMs: 250, cluster: false },
      subgraphUrls: {},
      maxPageSize: 100,
      limits: { maxDepth: 20, maxEntities: 1_000 },
      introspection: true,
      loaders: { batch: true, maxBatchSize: DEFAULT_MAX_BATCH_SIZE },
      events: { relayIntervalMs: 1_000, retentionSeconds: 86_400, catchupIntervalMs: 2_000 },
      seed: { onEmpty: true, users: 200, products: 100, reviews: 2000, seed: 42 },
    });
  });

  it("reads the subgraph's own variables under its prefix and the shared ones bare", () => {
    const config = loadSubgraphConfig(
      { name: 'reviews', defaultPort: 4003 },
      {
        ...PRODUCTION,
        REVIEWS_PORT: '5003',
        USERS_PORT: '9999',
        REVIEWS_DATABASE_POOL_SIZE: '3',
        DATALOADER_BATCHING: 'false',
        MAX_PAGE_SIZE: '50',
        SUBGRAPH_USERS_URL: 'http://users:4001/graphql',
      },
    );
    expect(config).toMatchObject({
      port: 5003,
      database: { url: 'postgres://db/reviews', poolSize: 3 },
      loaders: { batch: false },
      maxPageSize: 50,
      subgraphUrls: { users: 'http://users:4001/graphql' },
    });
  });

  it('is production unless told otherwise: no introspection, no seeding unless asked, the subgraph limits', () => {
    const config = loadSubgraphConfig(
      { name: 'reviews', defaultPort: 4003 },
      { ...PRODUCTION, SUBGRAPH_MAX_DEPTH: '8', SUBGRAPH_MAX_ENTITIES: '50' },
    );
    expect(config).toMatchObject({
      nodeEnv: 'production',
      introspection: false,
      host: '0.0.0.0',
      seed: { onEmpty: false },
      limits: { maxDepth: 8, maxEntities: 50 },
    });
    expect(config.signingKeys?.[0]?.id).toBe('k1');
    expect(loadSubgraphConfig({ name: 'reviews', defaultPort: 4003 }, { ...PRODUCTION, SEED_ON_EMPTY: 'true' }).seed.onEmpty).toBe(true);
  });

  it('refuses to start in production without signing keys or a database, naming the variable', () => {
    expect(() => loadSubgraphConfig({ name: 'reviews', defaultPort: 4003 }, { REVIEWS_DATABASE_URL: 'postgres://db/reviews' })).toThrow(
      /SUBGRAPH_SIGNING_KEYS: required outside development/,
    );
    expect(() => loadSubgraphConfig({ name: 'reviews', defaultPort: 4003 }, { SUBGRAPH_SIGNING_KEYS: KEYS })).toThrow(
      /REVIEWS_DATABASE_URL: required outside development .*EMBEDDED_DATABASE=true/,
    );
    expect(
      loadSubgraphConfig({ name: 'reviews', defaultPort: 4003 }, { SUBGRAPH_SIGNING_KEYS: KEYS, EMBEDDED_DATABASE: 'true' }).database.url,
    ).toBeUndefined();
  });

  it('takes streaming replicas of a PostgreSQL primary only, as postgres:// URLs', () => {
    const load = (env: Record<string, string>) =>
      loadSubgraphConfig({ name: 'reviews', defaultPort: 4003 }, { SUBGRAPH_SIGNING_KEYS: KEYS, ...env });
    const primary = { REVIEWS_DATABASE_URL: 'postgres://db/reviews' };
    expect(
      load({ ...primary, REVIEWS_DATABASE_REPLICA_URLS: 'postgres://r1/reviews, postgres://r2/reviews' }).database.replicaUrls,
    ).toEqual(['postgres://r1/reviews', 'postgres://r2/reviews']);
    expect(load(primary).database.replicaUrls).toEqual([]);
    expect(() => load({ ...primary, REVIEWS_DATABASE_REPLICA_URLS: 'mysql://r1/reviews' })).toThrow(
      /REVIEWS_DATABASE_REPLICA_URLS: each must be a postgres:\/\/ URL/,
    );
    expect(() => load({ EMBEDDED_DATABASE: 'true', REVIEWS_DATABASE_REPLICA_URLS: 'postgres://r1/reviews' })).toThrow(
      /REVIEWS_DATABASE_REPLICA_URLS: replicas need REVIEWS_DATABASE_URL/,
    );
  });

  it('names every bad variable in one message, shared and prefixed', () => {
    expect(() =>
      loadSubgraphConfig({ name: 'users', defaultPort: 4001 }, { USERS_PORT: 'abc', SUBGRAPH_PRODUCTS_URL: 'nope', MAX_PAGE_SIZE: '0' }),
    ).toThrow(
      /(?=[\s\S]*USERS_PORT: )(?=[\s\S]*SUBGRAPH_PRODUCTS_URL: )(?=[\s\S]*MAX_PAGE_SIZE: )(?=[\s\S]*SUBGRAPH_SIGNING_KEYS: required)/,
    );
  });

  it('stops with a message naming the prefixed variable', () => {
    expect(() =>
      loadSubgraphConfig({ name: 'products', defaultPort: 4002 }, { NODE_ENV: 'development', PRODUCTS_DATABASE_URL: 'mysql://x' }),
    ).toThrow(ConfigError);
    expect(() =>
      loadSubgraphConfig({ name: 'products', defaultPort: 4002 }, { NODE_ENV: 'development', PRODUCTS_DATABASE_URL: 'mysql://x' }),
    ).toThrow(/PRODUCTS_DATABASE_URL: expected a URL starting with postgres:\/\//);
    expect(() =>
      loadSubgraphConfig({ name: 'products', defaultPort: 4002 }, { NODE_ENV: 'development', DATALOADER_MAX_BATCH_SIZE: '0' }),
    ).toThrow(/DATALOADER_MAX_BATCH_SIZE/);
  });

  it("reads the events' settings, and refuses an interval or a retention that is not a positive whole number", () => {
    const env = {
      NODE_ENV: 'development',
      EVENTS_RELAY_INTERVAL_MS: '250',
      EVENT_RETENTION_SECONDS: '3600',
      EVENTS_CATCHUP_INTERVAL_MS: '500',
    };
    expect(loadSubgraphConfig({ name: 'reviews', defaultPort: 4003 }, env).events).toEqual({
      relayIntervalMs: 250,
      retentionSeconds: 3_600,
      catchupIntervalMs: 500,
    });
    expect(() =>
      loadSubgraphConfig(
        { name: 'reviews', defaultPort: 4003 },
        { NODE_ENV: 'development', EVENTS_RELAY_INTERVAL_MS: '0', EVENT_RETENTION_SECONDS: 'a day', EVENTS_CATCHUP_INTERVAL_MS: '-1' },
      ),
    ).toThrow(/(?=[\s\S]*EVENTS_RELAY_INTERVAL_MS: )(?=[\s\S]*EVENT_RETENTION_SECONDS: )(?=[\s\S]*EVENTS_CATCHUP_INTERVAL_MS: )/);
  });
});
