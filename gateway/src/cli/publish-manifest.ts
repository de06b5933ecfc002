/**
 * `pnpm pq:publish <manifest.json>`: publishes an Apollo persisted query manifest
 * (`apollo-persisted-query-manifest` v1, as `generate-persisted-query-manifest` writes it)
 * to the Redis of REDIS_URL, replacing the previous list. Gateways pick it up within
 * PQ_MANIFEST_REFRESH_MS. Exit codes: 0 published, 1 failed, 2 usage or configuration error.
 */
import { readFile } from 'node:fs/promises';
import { Cluster, Redis } from 'ioredis';
import { ConfigError } from '@tessera/service-kit';
import { loadRedisConfig } from '../config.js';
import { parseManifest, publishManifest } from '../features/persisted-queries/index.js';

const [path] = process.argv.slice(2);
if (!path) {
  console.error('usage: pnpm pq:publish <persisted-query-manifest.json>');
  process.exit(2);
}

let config;
try {
  config = loadRedisConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(2);
}
const { redis: connection, redisKeyPrefix: keyPrefix } = config;
if (!connection) {
  console.error('REDIS_URL is not set: the manifest is published to Redis.');
  process.exit(2);
}

const redis = connection.cluster
  ? new Cluster([connection.url], { redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 5_000 } })
  : new Redis(connection.url, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
try {
  const manifest = parseManifest(JSON.parse(await readFile(path, 'utf8')));
  const count = await publishManifest(redis, manifest, keyPrefix);
  console.log(`published ${count} operations from ${path} to ${keyPrefix}pq:manifest`);
} catch (error) {
  console.error(`could not publish ${path}: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  redis.disconnect();
}
