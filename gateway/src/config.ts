import { resolve } from 'node:path';
import { env, parseConfig, serviceEnv, serviceSettings } from '@tessera/service-kit';
import { z } from 'zod';
import type { SupergraphSourceOptions } from './supergraph/index.js';

/** The gateway's configuration, validated once at start-up. */
export interface GatewayConfig {
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: string;
  prettyLogs: boolean;
  host: string;
  port: number;
  /** Where the supergraph comes from. */
  supergraph: SupergraphSourceOptions;
  /** How subgraphs are called. */
  subgraphs: {
    /** Routing URLs that replace the supergraph's, by subgraph name. */
    urls: Record<string, string>;
    connections: number;
    timeoutMs: number;
  };
  introspection: boolean;
  landingPage: boolean;
  corsOrigins: string[];
  bodyLimitBytes: number;
  /** Largest number of lexical tokens a document may have (checked while parsing). */
  maxTokens: number;
  /** Operations per HTTP batch; 0 turns batching off. */
  maxBatchOperations: number;
  /** Persisted queries: APQ (Redis or in-memory) and trusted documents. */
  persistedQueries: {
    redisUrl: string | undefined;
    keyPrefix: string;
    redisTimeoutMs: number;
    apqTtlSeconds: number;
    apqMaxBytes: number;
    mode: 'off' | 'allow' | 'enforce';
    developerKeys: string[];
    getMaxAgeSeconds: number;
    manifestRefreshMs: number;
  };
  /** Operation limits and the cost model, checked before planning. */
  limits: {
    mode: 'enforce' | 'measure' | 'off';
    maxCost: number;
    maxDepth: number;
    maxAliases: number;
    maxNodes: number;
    maxSchemaFields: number;
    maxOfTypeDepth: number;
    costInExtensions: boolean;
    costModel: { defaultListSize: number; mutationWeight: number };
  };
}

const repoRoot = resolve(import.meta.dirname, '../..');
/** Prefix of every Redis key unless `REDIS_KEY_PREFIX` says otherwise. */
const DEFAULT_REDIS_KEY_PREFIX = 'tessera:';
const SUBGRAPH_URL = /^SUBGRAPH_([A-Z0-9_]+)_URL$/;

/** Reads the gateway's variables (see README "Configuration"). */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const c = parseConfig(
    z.object({
      ...serviceEnv,
      GATEWAY_PORT: env.port(4000),
      SUPERGRAPH_SOURCE: env.optionalChoice(['compose', 'file']),
      SUPERGRAPH_PATH: env.string(resolve(repoRoot, 'supergraph.graphql')),
      SUPERGRAPH_CONFIG: env.string(resolve(repoRoot, 'supergraph.yaml')),
      INTROSPECTION: env.optionalBool(),
      CORS_ORIGINS: env.list([]),
      MAX_BODY_BYTES: env.int(1_048_576, { min: 1_024, max: 100 * 1_048_576 }),
      SUBGRAPH_CONNECTIONS: env.int(128, { min: 1, max: 10_000 }),
      SUBGRAPH_TIMEOUT_MS: env.int(30_000, { min: 100, max: 600_000 }),
      LIMITS_MODE: env.choice(['enforce', 'measure', 'off'], 'enforce'),
      COST_MAX: env.int(10_000, { min: 1, max: 1e9 }),
      COST_DEFAULT_LIST_SIZE: env.int(10, { min: 0, max: 100_000 }),
      COST_MUTATION_WEIGHT: env.int(10, { min: 0, max: 100_000 }),
      COST_IN_EXTENSIONS: env.optionalBool(),
      MAX_DEPTH: env.int(15, { min: 1, max: 1_000 }),
      MAX_ALIASES: env.int(30, { min: 0, max: 100_000 }),
      MAX_QUERY_NODES: env.int(10_000, { min: 1, max: 10_000_000 }),
      MAX_TOKENS: env.int(10_000, { min: 100, max: 10_000_000 }),
      MAX_INTROSPECTION_DEPTH: env.int(10, { min: 1, max: 100 }),
      MAX_BATCH_OPERATIONS: env.int(0, { min: 0, max: 1_000 }),
      REDIS_URL: env.optionalUrl(['redis:', 'rediss:']),
      REDIS_KEY_PREFIX: env.string(DEFAULT_REDIS_KEY_PREFIX),
      REDIS_TIMEOUT_MS: env.int(250, { min: 10, max: 60_000 }),
      APQ_TTL_SECONDS: env.int(86_400, { min: 1, max: 31_536_000 }),
      APQ_MAX_BYTES: env.int(131_072, { min: 1_024, max: 100 * 1_048_576 }),
      PERSISTED_QUERIES_MODE: env.choice(['off', 'allow', 'enforce'], 'off'),
      DEVELOPER_KEYS: env.list([]),
      APQ_GET_MAX_AGE_SECONDS: env.int(60, { min: 0, max: 31_536_000 }),
      PQ_MANIFEST_REFRESH_MS: env.int(10_000, { min: 100, max: 3_600_000 }),
    }).refine((v) => v.PERSISTED_QUERIES_MODE === 'off' || v.REDIS_URL !== undefined, {
      path: ['PERSISTED_QUERIES_MODE'],
      message: 'allow and enforce read the published manifest from Redis: set REDIS_URL too',
    }),
    source,
  );
  const development = c.NODE_ENV !== 'production';
  return {
    ...serviceSettings(c),
    port: c.GATEWAY_PORT,
    supergraph:
      (c.SUPERGRAPH_SOURCE ?? (development ? 'compose' : 'file')) === 'file'
        ? { kind: 'file', path: resolve(c.SUPERGRAPH_PATH) }
        : { kind: 'compose', configPath: resolve(c.SUPERGRAPH_CONFIG) },
    subgraphs: { urls: subgraphUrlOverrides(source), connections: c.SUBGRAPH_CONNECTIONS, timeoutMs: c.SUBGRAPH_TIMEOUT_MS },
    introspection: c.INTROSPECTION ?? development,
    landingPage: development,
    corsOrigins: c.CORS_ORIGINS.length ? c.CORS_ORIGINS : development ? ['https://studio.apollographql.com'] : [],
    bodyLimitBytes: c.MAX_BODY_BYTES,
    maxTokens: c.MAX_TOKENS,
    persistedQueries: {
      redisUrl: c.REDIS_URL,
      keyPrefix: c.REDIS_KEY_PREFIX,
      redisTimeoutMs: c.REDIS_TIMEOUT_MS,
      apqTtlSeconds: c.APQ_TTL_SECONDS,
      apqMaxBytes: c.APQ_MAX_BYTES,
      mode: c.PERSISTED_QUERIES_MODE,
      developerKeys: c.DEVELOPER_KEYS,
      getMaxAgeSeconds: c.APQ_GET_MAX_AGE_SECONDS,
      manifestRefreshMs: c.PQ_MANIFEST_REFRESH_MS,
    },
    maxBatchOperations: c.MAX_BATCH_OPERATIONS,
    limits: {
      mode: c.LIMITS_MODE,
      maxCost: c.COST_MAX,
      maxDepth: c.MAX_DEPTH,
      maxAliases: c.MAX_ALIASES,
      maxNodes: c.MAX_QUERY_NODES,
      maxSchemaFields: 1,
      maxOfTypeDepth: c.MAX_INTROSPECTION_DEPTH,
      costInExtensions: c.COST_IN_EXTENSIONS ?? development,
      costModel: { defaultListSize: c.COST_DEFAULT_LIST_SIZE, mutationWeight: c.COST_MUTATION_WEIGHT },
    },
  };
}

/** `SUBGRAPH_<NAME>_URL` variables, validated as http(s) URLs, keyed by lowercase subgraph name. */
function subgraphUrlOverrides(source: NodeJS.ProcessEnv): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    const match = SUBGRAPH_URL.exec(key);
    if (!match || !value) continue;
    overrides[match[1]!.toLowerCase()] = parseConfig(z.object({ [key]: env.url('') }), { [key]: value })[key] as string;
  }
  return overrides;
}
