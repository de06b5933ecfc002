import { ConfigError } from '@tessera/service-kit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BATCH_SIZE, loadSubgraphConfig } from '../src/index.js';

describe('loadSubgraphConfig', () => {
  it('has defaults for everything', () => {
    expect(loadSubgraphConfig({ name: 'users', defaultPort: 4001 }, {})).toEqual({
      name: 'users',
      nodeEnv: 'development',
      logLevel: 'info',
      prettyLogs: true,
      host: '0.0.0.0',
      port: 4001,
      database: { url: undefined, poolSize: 10, dataDir: '.data/users' },
      maxPageSize: 100,
      limits: { maxDepth: 20, maxEntities: 1_000 },
      introspection: true,
      loaders: { batch: true, maxBatchSize: DEFAULT_MAX_BATCH_SIZE },
      seed: { onEmpty: true, users: 200, products: 100, reviews: 2000, seed: 42 },
    });
  });

  it("reads the subgraph's own variables under its prefix and the shared ones bare", () => {
    const config = loadSubgraphConfig(
      { name: 'reviews', defaultPort: 4003 },
      { REVIEWS_PORT: '5003', USERS_PORT: '9999', REVIEWS_DATABASE_URL: 'postgres://db/reviews', REVIEWS_DATABASE_POOL_SIZE: '3', DATALOADER_BATCHING: 'false', MAX_PAGE_SIZE: '50' },
    );
    expect(config).toMatchObject({ port: 5003, database: { url: 'postgres://db/reviews', poolSize: 3 }, loaders: { batch: false }, maxPageSize: 50 });
  });

  it('turns introspection off in production and reads the subgraph limits', () => {
    const config = loadSubgraphConfig({ name: 'users', defaultPort: 4001 }, { NODE_ENV: 'production', SUBGRAPH_MAX_DEPTH: '8', SUBGRAPH_MAX_ENTITIES: '50' });
    expect(config).toMatchObject({ introspection: false, limits: { maxDepth: 8, maxEntities: 50 } });
  });

  it('stops with a message naming the prefixed variable', () => {
    expect(() => loadSubgraphConfig({ name: 'products', defaultPort: 4002 }, { PRODUCTS_DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
    expect(() => loadSubgraphConfig({ name: 'products', defaultPort: 4002 }, { PRODUCTS_DATABASE_URL: 'mysql://x' })).toThrow(/PRODUCTS_DATABASE_URL: expected a URL starting with postgres:\/\//);
    expect(() => loadSubgraphConfig({ name: 'products', defaultPort: 4002 }, { DATALOADER_MAX_BATCH_SIZE: '0' })).toThrow(/DATALOADER_MAX_BATCH_SIZE/);
  });
});
