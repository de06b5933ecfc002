import { resolve } from 'node:path';
import {
  CHECK_ALWAYS,
  DEVELOPMENT_TOKENS,
  env,
  HTTP_SERVER_DEFAULTS,
  parseAll,
  parseConfig,
  redisEnv,
  requiredOutsideDevelopment,
  serviceEnv,
  serviceSettings,
  subgraphTimeouts,
  subgraphUrls,
  variableDefaults,
  type RuntimeSettings,
  type SigningKey,
} from '@tessera/service-kit';
import { z } from 'zod';
import { CACHE_DEFAULTS, type CacheSettings } from './features/cache/index.js';
import { DEFAULT_MAX_RESPONSE_ERRORS } from './features/error-limit/index.js';
import { READ_YOUR_WRITES_DEFAULTS } from './features/read-your-writes/index.js';
import { TOKEN_VERIFIER_DEFAULTS, type TokenKeys, type TokenVerifierOptions } from './features/identity/index.js';
import {
  COST_MODEL_DEFAULTS,
  DEFAULT_MAX_TOKENS,
  OPERATION_LIMITS_DEFAULTS,
  type OperationLimitsSettings,
} from './features/limits/index.js';
import { PERSISTED_QUERIES_DEFAULTS, type PersistedQueriesSettings } from './features/persisted-queries/index.js';
import { RATE_LIMIT_DEFAULTS, type RateLimitSettings } from './features/rate-limit/index.js';
import { SUBSCRIPTIONS_DEFAULTS, type SubscriptionSettings } from './subscriptions/index.js';
import type { SupergraphSourceOptions } from './supergraph/index.js';
import { RESILIENCE_DEFAULTS, SUBGRAPH_CLIENTS_DEFAULTS, type ResilienceSettings, type SubgraphClientsSettings } from './upstream/index.js';

/** The Redis every gateway replica shares (`REDIS_*`). */
export interface RedisSettings {
  url: string;
  /** `url` names a node of a Redis Cluster. */
  cluster: boolean;
  /** Bound on each command. */
  timeoutMs: number;
}

/**
 * The gateway's configuration, validated once at start-up. Each part has the shape of the
 * options of the factory it configures; a variable left unset takes that factory's default.
 */
export interface GatewayConfig extends RuntimeSettings {
  nodeEnv: 'development' | 'production' | 'test';
  development: boolean;
  logLevel: string;
  prettyLogs: boolean;
  host: string;
  port: number;
  /** The internal listener of `/metrics` and `/health/details`. */
  metricsPort: number;
  /** The Redis every replica shares; undefined: none (APQ in memory, no caches, each process counts alone). */
  redis: RedisSettings | undefined;
  /** Prefix of every Redis key, so deployments can share a Redis. */
  redisKeyPrefix: string;
  /** Bearer tokens: where their keys come from and what they must say; undefined = no token is accepted (development only). */
  auth: TokenVerifierOptions | undefined;
  /** Keys gateway → subgraph requests are signed with (the first); undefined only in development. */
  signingKeys: SigningKey[] | undefined;
  /** Where the supergraph comes from. */
  supergraph: SupergraphSourceOptions;
  /** Longest a whole request may take; subgraph calls get what is left of it. */
  requestTimeoutMs: number;
  subgraphs: SubgraphClientsSettings;
  /** Identical requests in flight at once share one answer, identical queries one execution. */
  deduplicateOperations: boolean;
  /** Progressive `@override` labels (other than `percent(N)`) that are on. */
  overrideLabels: string[];
  /** How long a caller's last write position is remembered for its reads (`READ_YOUR_WRITES_TTL_SECONDS`). */
  readYourWritesTtlSeconds: number;
  /** Per-caller rate limit (token subject, else client address); undefined = off. */
  rateLimit: RateLimitSettings | undefined;
  introspection: boolean;
  landingPage: boolean;
  corsOrigins: string[];
  bodyLimitBytes: number;
  /** Largest number of lexical tokens a document may have (checked while parsing). */
  maxTokens: number;
  /** Operations per HTTP batch; 0 turns batching off. */
  maxBatchOperations: number;
  /** Distinct errors one response carries at most (repeats are always taken out). */
  maxResponseErrors: number;
  persistedQueries: PersistedQueriesSettings;
  cache: CacheSettings;
  /** Operation limits and the cost model, checked before planning; undefined = off (`LIMITS_MODE=off`). */
  limits: OperationLimitsSettings | undefined;
  /** How many subscriptions, how far behind a subscriber may fall, how long a quiet socket stays. */
  subscriptions: SubscriptionSettings;
}

const repoRoot = resolve(import.meta.dirname, '../..');

const L = OPERATION_LIMITS_DEFAULTS;
/** The limits' variables (also read alone, by `pnpm schema:check`). */
const limitsEnv = {
  LIMITS_MODE: env.choice(['enforce', 'measure', 'off'], L.mode),
  COST_MAX: env.int(L.maxCost, { min: 1, max: 1e9 }),
  COST_DEFAULT_LIST_SIZE: env.int(COST_MODEL_DEFAULTS.defaultListSize, { min: 0, max: 100_000 }),
  COST_MUTATION_WEIGHT: env.int(COST_MODEL_DEFAULTS.mutationWeight, { min: 0, max: 100_000 }),
  COST_IN_EXTENSIONS: env.optionalBool(),
  MAX_DEPTH: env.int(L.maxDepth, { min: 1, max: 1_000 }),
  MAX_ALIASES: env.int(L.maxAliases, { min: 0, max: 100_000 }),
  MAX_QUERY_NODES: env.int(L.maxNodes, { min: 1, max: 10_000_000 }),
  MAX_INTROSPECTION_DEPTH: env.int(L.maxOfTypeDepth, { min: 1, max: 100 }),
  MAX_OVERLAPPING_FIELD_PAIRS: env.int(L.maxOverlappingFieldPairs, { min: 0, max: 100_000_000 }),
};

const PQ = PERSISTED_QUERIES_DEFAULTS;
/** Redis and the persisted queries' variables (also read alone, by `pnpm pq:publish`). */
const persistedQueriesEnv = {
  ...redisEnv,
  APQ_TTL_SECONDS: env.int(PQ.apqTtlSeconds, { min: 1, max: 31_536_000 }),
  APQ_MAX_BYTES: env.int(PQ.apqMaxBytes, { min: 1_024, max: 100 * 1_048_576 }),
  PERSISTED_QUERIES_MODE: env.choice(['off', 'allow', 'enforce'], PQ.mode),
  DEVELOPER_KEYS: env.list([...PQ.developerKeys]),
  PQ_MANIFEST_REFRESH_MS: env.int(PQ.manifestRefreshMs, { min: 100, max: 3_600_000 }),
};

/** The caches. */
const cacheEnv = {
  CACHE_MODE: env.optionalChoice(['on', 'off']),
  CACHE_TTL_OVERRIDES: env.list([]),
  CACHE_MAX_ENTRY_BYTES: env.int(CACHE_DEFAULTS.maxEntryBytes, { min: 1_024, max: 64 * 1_048_576 }),
  CACHE_MAX_ENTITIES_PER_FETCH: env.int(CACHE_DEFAULTS.maxEntitiesPerFetch, { min: 1, max: 100_000 }),
  APQ_GET_MAX_AGE_SECONDS: env.int(CACHE_DEFAULTS.httpMaxAgeSeconds, { min: 0, max: 31_536_000 }),
};

/** Bearer tokens. */
const authEnv = {
  JWT_JWKS_URL: env.optionalUrl(['https:', 'http:']),
  JWT_PUBLIC_KEY: env.optionalString(),
  JWT_SECRET: env.optionalString(),
  JWT_ISSUER: env.optionalString(),
  JWT_AUDIENCE: env.optionalString(),
  JWT_CLOCK_SKEW_SECONDS: env.int(TOKEN_VERIFIER_DEFAULTS.clockToleranceSeconds, { min: 0, max: 600 }),
  JWT_MAX_TOKEN_AGE_SECONDS: env.int(TOKEN_VERIFIER_DEFAULTS.maxTokenAgeSeconds, { min: 60, max: 31_536_000 }),
};

const S = SUBGRAPH_CLIENTS_DEFAULTS;
/** Everything else: the server, the supergraph, the subgraph calls. */
const serverEnv = {
  GATEWAY_PORT: env.port(4000),
  SUPERGRAPH_SOURCE: env.optionalChoice(['compose', 'file']),
  SUPERGRAPH_PATH: env.string(resolve(repoRoot, 'supergraph.graphql')),
  SUPERGRAPH_CONFIG: env.string(resolve(repoRoot, 'supergraph.yaml')),
  INTROSPECTION: env.optionalBool(),
  CORS_ORIGINS: env.list([]),
  MAX_BODY_BYTES: env.int(HTTP_SERVER_DEFAULTS.bodyLimit, { min: 1_024, max: 100 * 1_048_576 }),
  MAX_TOKENS: env.int(DEFAULT_MAX_TOKENS, { min: 100, max: 10_000_000 }),
  MAX_BATCH_OPERATIONS: env.int(HTTP_SERVER_DEFAULTS.maxBatchOperations, { min: 0, max: 1_000 }),
  MAX_RESPONSE_ERRORS: env.int(DEFAULT_MAX_RESPONSE_ERRORS, { min: 1, max: 100_000 }),
  SUBGRAPH_CONNECTIONS: env.int(S.connections, { min: 1, max: 10_000 }),
  SUBGRAPH_DEDUPLICATION: env.bool(S.deduplicate),
  OPERATION_DEDUPLICATION: env.bool(true),
  OVERRIDE_LABELS: env.list([]),
  READ_YOUR_WRITES_TTL_SECONDS: env.int(READ_YOUR_WRITES_DEFAULTS.ttlSeconds, { min: 1, max: 86_400 }),
  GATEWAY_METRICS_PORT: env.port(9400),
  SUBGRAPH_HEALTH_INTERVAL_MS: env.int(S.healthIntervalMs, { min: 100, max: 600_000 }),
};

const R = RESILIENCE_DEFAULTS;
const RL = RATE_LIMIT_DEFAULTS;
/** Deadlines, retries, circuit breakers, bulkheads and rate limits. */
const resilienceEnv = {
  REQUEST_TIMEOUT_MS: env.int(10_000, { min: 10, max: 600_000 }),
  SUBGRAPH_TIMEOUT_MS: env.int(R.timeoutMs, { min: 10, max: 600_000 }),
  SUBGRAPH_RETRIES: env.int(R.retries, { min: 0, max: 10 }),
  SUBGRAPH_RETRY_BUDGET_PERCENT: env.int(R.retryBudgetRatio * 100, { min: 0, max: 1_000 }),
  SUBGRAPH_MAX_IN_FLIGHT: env.int(R.maxInFlight, { min: 1, max: 100_000 }),
  SUBGRAPH_MAX_QUEUED: env.int(R.maxQueued, { min: 0, max: 100_000 }),
  BREAKER_FAILURE_PERCENT: env.int(R.breaker.failureRatio * 100, { min: 1, max: 100 }),
  BREAKER_WINDOW_MS: env.int(R.breaker.windowMs, { min: 1_000, max: 600_000 }),
  BREAKER_MIN_RPS: env.int(R.breaker.minimumRps, { min: 0, max: 100_000 }),
  BREAKER_HALF_OPEN_AFTER_MS: env.int(R.breaker.halfOpenAfterMs, { min: 100, max: 600_000 }),
  RATE_LIMIT_POINTS: env.int(RL.points, { min: 0, max: 1e9 }),
  RATE_LIMIT_WINDOW_SECONDS: env.int(RL.windowSeconds, { min: 1, max: 86_400 }),
  RATE_LIMIT_COST_WEIGHTED: env.bool(RL.costWeighted),
  RATE_LIMIT_REQUEST_POINTS: env.int(RL.requestPoints, { min: 0, max: 1e6 }),
  RATE_LIMIT_BYTES_PER_POINT: env.int(RL.bytesPerPoint, { min: 0, max: 100 * 1_048_576 }),
};

const SUB = SUBSCRIPTIONS_DEFAULTS;
/** Subscriptions. */
const subscriptionsEnv = {
  SUBSCRIPTIONS_MAX_PER_CALLER: env.int(SUB.maxPerCaller, { min: 1, max: 1_000_000 }),
  SUBSCRIPTIONS_MAX_TOTAL: env.int(SUB.maxTotal, { min: 1, max: 10_000_000 }),
  SUBSCRIPTIONS_MAX_QUEUED_EVENTS: env.int(SUB.maxQueuedEvents, { min: 1, max: 1_000_000 }),
  SUBSCRIPTIONS_MAX_PER_CONNECTION: env.int(SUB.maxPerConnection, { min: 1, max: 100_000 }),
  SUBSCRIPTIONS_MAX_BUFFERED_BYTES: env.int(SUB.maxBufferedBytes, { min: 1_024, max: 1_073_741_824 }),
  SUBSCRIPTIONS_IDLE_TIMEOUT_MS: env.int(SUB.idleTimeoutMs, { min: 1_000, max: 86_400_000 }),
};

const gatewaySchema = z
  .object({
    ...serviceEnv,
    ...serverEnv,
    ...resilienceEnv,
    ...limitsEnv,
    ...persistedQueriesEnv,
    ...cacheEnv,
    ...authEnv,
    ...subscriptionsEnv,
  })
  .superRefine(ttlOverridesCheck, CHECK_ALWAYS)
  .refine((v) => v.PERSISTED_QUERIES_MODE === 'off' || v.REDIS_URL !== undefined, {
    path: ['PERSISTED_QUERIES_MODE'],
    message: 'allow and enforce read the published manifest from Redis: set REDIS_URL too',
  })
  .superRefine(jwtKeysCheck, CHECK_ALWAYS)
  .superRefine(requiredOutsideDevelopment(['SUBGRAPH_SIGNING_KEYS', 'JWT_ISSUER', 'JWT_AUDIENCE']), CHECK_ALWAYS);

/** Every variable the gateway reads by name (besides the `SUBGRAPH_<NAME>_URL` pattern). */
export const GATEWAY_VARIABLES: readonly string[] = Object.keys(gatewaySchema.shape);

/** What each of {@link GATEWAY_VARIABLES} is when unset (undefined: derived or required): the documentation is checked against it. */
export const GATEWAY_VARIABLE_DEFAULTS: Readonly<Record<string, unknown>> = variableDefaults(gatewaySchema);

type GatewayVariables = z.infer<typeof gatewaySchema>;

/** Reads the gateway's variables (see docs/configuration.md); every bad one is named at once. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const [c, urls, timeouts] = parseAll(
    () => parseConfig(gatewaySchema, source),
    () => subgraphUrls(source),
    () => subgraphTimeouts(source),
  );
  const settings = serviceSettings(c);
  const { development } = settings;
  return {
    ...settings,
    port: c.GATEWAY_PORT,
    metricsPort: c.GATEWAY_METRICS_PORT,
    ...redisSettings(c),
    auth: tokenVerifierOptions(c),
    supergraph:
      (c.SUPERGRAPH_SOURCE ?? (development ? 'compose' : 'file')) === 'file'
        ? { kind: 'file', path: resolve(c.SUPERGRAPH_PATH) }
        : { kind: 'compose', configPath: resolve(c.SUPERGRAPH_CONFIG) },
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    subgraphs: {
      urls,
      connections: c.SUBGRAPH_CONNECTIONS,
      deduplicate: c.SUBGRAPH_DEDUPLICATION,
      healthIntervalMs: c.SUBGRAPH_HEALTH_INTERVAL_MS,
      resilience: resilienceSettings(c, timeouts),
    },
    deduplicateOperations: c.OPERATION_DEDUPLICATION,
    overrideLabels: c.OVERRIDE_LABELS,
    readYourWritesTtlSeconds: c.READ_YOUR_WRITES_TTL_SECONDS,
    rateLimit: rateLimitSettings(c),
    introspection: c.INTROSPECTION ?? development,
    landingPage: development,
    corsOrigins: c.CORS_ORIGINS.length ? c.CORS_ORIGINS : development ? ['https://studio.apollographql.com'] : [],
    bodyLimitBytes: c.MAX_BODY_BYTES,
    maxTokens: c.MAX_TOKENS,
    maxBatchOperations: c.MAX_BATCH_OPERATIONS,
    maxResponseErrors: c.MAX_RESPONSE_ERRORS,
    persistedQueries: persistedQueriesSettings(c),
    cache: cacheSettings(c, development),
    limits: limitsSettings(c, development),
    subscriptions: {
      maxPerCaller: c.SUBSCRIPTIONS_MAX_PER_CALLER,
      maxTotal: c.SUBSCRIPTIONS_MAX_TOTAL,
      maxQueuedEvents: c.SUBSCRIPTIONS_MAX_QUEUED_EVENTS,
      maxPerConnection: c.SUBSCRIPTIONS_MAX_PER_CONNECTION,
      maxBufferedBytes: c.SUBSCRIPTIONS_MAX_BUFFERED_BYTES,
      idleTimeoutMs: c.SUBSCRIPTIONS_IDLE_TIMEOUT_MS,
    },
  };
}

function redisSettings(c: z.infer<z.ZodObject<typeof persistedQueriesEnv>>): Pick<GatewayConfig, 'redis' | 'redisKeyPrefix'> {
  return {
    redis: c.REDIS_URL ? { url: c.REDIS_URL, cluster: c.REDIS_CLUSTER, timeoutMs: c.REDIS_TIMEOUT_MS } : undefined,
    redisKeyPrefix: c.REDIS_KEY_PREFIX,
  };
}

function rateLimitSettings(c: GatewayVariables): RateLimitSettings | undefined {
  if (!c.RATE_LIMIT_POINTS) return undefined;
  return {
    points: c.RATE_LIMIT_POINTS,
    windowSeconds: c.RATE_LIMIT_WINDOW_SECONDS,
    costWeighted: c.RATE_LIMIT_COST_WEIGHTED,
    requestPoints: c.RATE_LIMIT_REQUEST_POINTS,
    bytesPerPoint: c.RATE_LIMIT_BYTES_PER_POINT,
  };
}

/** The caches: on wherever there is a Redis unless `CACHE_MODE` says otherwise; the debug header in development. */
function cacheSettings(c: GatewayVariables, development: boolean): CacheSettings {
  return {
    mode: c.CACHE_MODE ?? (c.REDIS_URL ? 'on' : 'off'),
    ttlOverrides: new Map(
      c.CACHE_TTL_OVERRIDES.map((entry) => [entry.slice(0, entry.indexOf('=')), Number(entry.slice(entry.indexOf('=') + 1))]),
    ),
    maxEntryBytes: c.CACHE_MAX_ENTRY_BYTES,
    maxEntitiesPerFetch: c.CACHE_MAX_ENTITIES_PER_FETCH,
    httpMaxAgeSeconds: c.APQ_GET_MAX_AGE_SECONDS,
    debugHeader: development,
  };
}

/** `CACHE_TTL_OVERRIDES`: `Type=seconds` pairs, comma-separated; `CACHE_MODE=on` needs a Redis. */
function ttlOverridesCheck(v: { CACHE_TTL_OVERRIDES: string[]; CACHE_MODE?: string; REDIS_URL?: string }, ctx: z.RefinementCtx) {
  const bad = v.CACHE_TTL_OVERRIDES.find((entry) => !/^[_A-Za-z][_0-9A-Za-z]*=\d{1,6}$/.test(entry));
  if (bad !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['CACHE_TTL_OVERRIDES'],
      message: `expected Type=seconds pairs, comma-separated (such as Product=30,Review=10); got "${bad}"`,
    });
  if (v.CACHE_MODE === 'on' && !v.REDIS_URL)
    ctx.addIssue({ code: 'custom', path: ['CACHE_MODE'], message: 'on keeps entries in Redis: set REDIS_URL too' });
}

/** Only the limits and the cost model, for tools that estimate costs (`pnpm schema:check`); undefined with `LIMITS_MODE=off`. */
export function loadLimitsConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig['limits'] {
  const c = parseConfig(z.object({ NODE_ENV: serviceEnv.NODE_ENV, ...limitsEnv }), source);
  return limitsSettings(c, c.NODE_ENV === 'development');
}

/** Only Redis, for `pnpm pq:publish`. */
export function loadRedisConfig(source: NodeJS.ProcessEnv = process.env): Pick<GatewayConfig, 'redis' | 'redisKeyPrefix'> {
  return redisSettings(parseConfig(z.object(persistedQueriesEnv), source));
}

function resilienceSettings(c: z.infer<z.ZodObject<typeof resilienceEnv>>, timeouts: Record<string, number>): ResilienceSettings {
  return {
    timeoutMs: c.SUBGRAPH_TIMEOUT_MS,
    timeouts,
    retries: c.SUBGRAPH_RETRIES,
    retryBudgetRatio: c.SUBGRAPH_RETRY_BUDGET_PERCENT / 100,
    breaker: {
      failureRatio: c.BREAKER_FAILURE_PERCENT / 100,
      windowMs: c.BREAKER_WINDOW_MS,
      minimumRps: c.BREAKER_MIN_RPS,
      halfOpenAfterMs: c.BREAKER_HALF_OPEN_AFTER_MS,
    },
    maxInFlight: c.SUBGRAPH_MAX_IN_FLIGHT,
    maxQueued: c.SUBGRAPH_MAX_QUEUED,
  };
}

function limitsSettings(c: z.infer<z.ZodObject<typeof limitsEnv>>, development: boolean): GatewayConfig['limits'] {
  if (c.LIMITS_MODE === 'off') return undefined;
  return {
    mode: c.LIMITS_MODE,
    maxCost: c.COST_MAX,
    maxDepth: c.MAX_DEPTH,
    maxAliases: c.MAX_ALIASES,
    maxNodes: c.MAX_QUERY_NODES,
    maxSchemaFields: OPERATION_LIMITS_DEFAULTS.maxSchemaFields,
    maxOfTypeDepth: c.MAX_INTROSPECTION_DEPTH,
    maxOverlappingFieldPairs: c.MAX_OVERLAPPING_FIELD_PAIRS,
    costInExtensions: c.COST_IN_EXTENSIONS ?? development,
    costModel: { defaultListSize: c.COST_DEFAULT_LIST_SIZE, mutationWeight: c.COST_MUTATION_WEIGHT },
  };
}

function persistedQueriesSettings(c: z.infer<z.ZodObject<typeof persistedQueriesEnv>>): PersistedQueriesSettings {
  return {
    apqTtlSeconds: c.APQ_TTL_SECONDS,
    apqMaxBytes: c.APQ_MAX_BYTES,
    mode: c.PERSISTED_QUERIES_MODE,
    developerKeys: c.DEVELOPER_KEYS,
    manifestRefreshMs: c.PQ_MANIFEST_REFRESH_MS,
  };
}

/** One source of token keys: exactly one in production, at most one in development. */
function jwtKeysCheck(v: { NODE_ENV: string; JWT_JWKS_URL?: string; JWT_PUBLIC_KEY?: string; JWT_SECRET?: string }, ctx: z.RefinementCtx) {
  const given = (['JWT_JWKS_URL', 'JWT_PUBLIC_KEY', 'JWT_SECRET'] as const).filter((name) => v[name] !== undefined);
  if (given.length > 1)
    ctx.addIssue({
      code: 'custom',
      path: [given[1]!],
      message: `set only one of JWT_JWKS_URL, JWT_PUBLIC_KEY, JWT_SECRET (${given.join(' and ')} are set)`,
    });
  if (given.length === 0 && v.NODE_ENV !== 'development') {
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_JWKS_URL'],
      message: 'required outside development: JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET',
    });
  }
  if (v.JWT_SECRET !== undefined && v.JWT_SECRET.length < 32)
    ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'expected at least 32 characters' });
  if (v.JWT_PUBLIC_KEY !== undefined && !v.JWT_PUBLIC_KEY.includes('-----BEGIN PUBLIC KEY-----')) {
    ctx.addIssue({ code: 'custom', path: ['JWT_PUBLIC_KEY'], message: 'expected a PEM public key (-----BEGIN PUBLIC KEY-----)' });
  }
}

/** The token verifier's settings; development falls back to its own issuer and audience. */
function tokenVerifierOptions(c: {
  JWT_JWKS_URL?: string;
  JWT_PUBLIC_KEY?: string;
  JWT_SECRET?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  JWT_CLOCK_SKEW_SECONDS: number;
  JWT_MAX_TOKEN_AGE_SECONDS: number;
}): TokenVerifierOptions | undefined {
  const keys: TokenKeys | undefined = c.JWT_JWKS_URL
    ? { jwksUrl: c.JWT_JWKS_URL }
    : c.JWT_PUBLIC_KEY
      ? { publicKey: c.JWT_PUBLIC_KEY.replace(/\\n/g, '\n') }
      : c.JWT_SECRET
        ? { secret: c.JWT_SECRET }
        : undefined;
  if (!keys) return undefined;
  return {
    keys,
    issuer: c.JWT_ISSUER ?? DEVELOPMENT_TOKENS.issuer,
    audience: c.JWT_AUDIENCE ?? DEVELOPMENT_TOKENS.audience,
    clockToleranceSeconds: c.JWT_CLOCK_SKEW_SECONDS,
    maxTokenAgeSeconds: c.JWT_MAX_TOKEN_AGE_SECONDS,
  };
}
