import { z } from 'zod';
import { REDIS_DEFAULTS } from './redis.js';
import { parseSigningKeys, type SigningKey } from './request-signing.js';

/**
 * Parses `env` with `schema` once, at start-up. On failure it throws a
 * {@link ConfigError} whose message names every bad variable and the form it expects,
 * so `main` can print it and exit before anything listens.
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  { prefix = '' }: { prefix?: string } = {},
): z.infer<S> {
  const scoped = prefix ? unprefixed(env, prefix) : env;
  const result = schema.safeParse(scoped);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${prefix + (issue.path.join('.') || '(environment)')}: ${issue.message}`));
}

/**
 * Runs independent parses (a service's shared and prefixed variables, say) and, if any
 * fails, throws one {@link ConfigError} naming every bad variable of all of them.
 */
export function parseAll<const T extends readonly unknown[]>(...parsers: { [K in keyof T]: () => T[K] }): T {
  const problems: string[] = [];
  const results = parsers.map((parse) => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  });
  if (problems.length) throw new ConfigError(problems);
  return results as unknown as T;
}

/** The variables starting with `prefix`, with the prefix removed. */
function unprefixed(env: NodeJS.ProcessEnv, prefix: string): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

/** Bad environment variables; the message, one line per `VARIABLE: problem`, is meant for the operator. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((line) => `  ${line}`).join('\n')}`);
  }
}

/**
 * Options for a `superRefine` over a service's variables: run even when some variable is
 * already bad, so one start names every problem (zod skips refinements after an issue).
 */
export const CHECK_ALWAYS = { when: () => true } as const;

/** Empty strings count as unset, so `FOO=` in an .env file means "use the default". */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

/** Reusable variable shapes with messages that say what is expected. */
export const env = {
  port: (fallback: number) =>
    z.preprocess(
      unsetIfEmpty,
      z.coerce
        .number({ message: 'expected a TCP port number' })
        .int('expected a whole number')
        .min(0, 'expected a port from 0 to 65535')
        .max(65535, 'expected a port from 0 to 65535')
        .default(fallback),
    ),
  int: (fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) =>
    z.preprocess(
      unsetIfEmpty,
      z.coerce
        .number({ message: 'expected a whole number' })
        .int('expected a whole number')
        .min(min, `expected a whole number from ${min} to ${max}`)
        .max(max, `expected a whole number from ${min} to ${max}`)
        .default(fallback),
    ),
  bool: (fallback: boolean) =>
    z.preprocess(
      unsetIfEmpty,
      z.stringbool({ truthy: ['true', '1'], falsy: ['false', '0'], case: 'sensitive', error: 'expected true or false' }).default(fallback),
    ),
  string: (fallback: string) => z.preprocess(unsetIfEmpty, z.string().default(fallback)),
  optionalUrl: (protocols: string[]) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), {
          message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
        })
        .optional(),
    ),
  url: (fallback: string, protocols = ['http:', 'https:']) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), {
          message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
        })
        .default(fallback),
    ),
  /** One of `values`; `fallback` when unset. */
  choice: <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
    z.preprocess(unsetIfEmpty, z.enum(values).default(fallback as never)),
  /** One of `values`, or undefined when unset (the caller derives the default). */
  optionalChoice: <const T extends readonly [string, ...string[]]>(values: T) => z.preprocess(unsetIfEmpty, z.enum(values).optional()),
  /** `true` or `false`, or undefined when unset (the caller derives the default). */
  optionalBool: () =>
    z.preprocess(
      unsetIfEmpty,
      z.stringbool({ truthy: ['true'], falsy: ['false'], case: 'sensitive', error: 'expected true or false' }).optional(),
    ),
  /** `development` only when said so: anything else runs with production's safe defaults. */
  nodeEnv: () => z.preprocess(unsetIfEmpty, z.enum(['development', 'production', 'test']).default('production')),
  logLevel: () => z.preprocess(unsetIfEmpty, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  /** Text that must be given (outside development, checked by {@link requiredOutsideDevelopment}). */
  optionalString: () => z.preprocess(unsetIfEmpty, z.string().optional()),
  /** `kid:secret` pairs (see `parseSigningKeys`), or undefined when unset. */
  signingKeys: () =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .optional()
        .transform((value, ctx) => {
          if (value === undefined) return undefined;
          try {
            return parseSigningKeys(value);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
            return z.NEVER;
          }
        }),
    ),
  list: (fallback: string[]) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .optional()
        .transform((v) =>
          v === undefined
            ? fallback
            : v
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
        ),
    ),
};

/** The Redis every replica of a service shares (gateway and subgraphs alike); spread into a service's schema. */
export const redisEnv = {
  REDIS_URL: env.optionalUrl(['redis:', 'rediss:']),
  REDIS_KEY_PREFIX: env.string(REDIS_DEFAULTS.keyPrefix),
  REDIS_TIMEOUT_MS: env.int(REDIS_DEFAULTS.timeoutMs, { min: 10, max: 60_000 }),
  REDIS_CLUSTER: env.bool(false),
};

/**
 * What each variable of `schema` is when it is not set: its default, or undefined where the
 * service derives one (from `NODE_ENV`, another variable) or requires it. The documentation and
 * `.env.example` are checked against this, so a default is written once, in code.
 */
export function variableDefaults(schema: z.ZodObject): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(schema.shape).map(([name, variable]) => [name, (variable as z.ZodType).safeParse(undefined).data]),
  );
}

/** Variables every service reads the same way; spread into a service's schema. */
export const serviceEnv = {
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  LOG_PRETTY: env.optionalBool(),
  HOST: env.optionalString(),
  /** `kid:secret` pairs shared by the gateway (signs with the first) and the subgraphs (accept any). */
  SUBGRAPH_SIGNING_KEYS: env.signingKeys(),
  MAX_IN_FLIGHT_REQUESTS: env.int(1_024, { min: 1, max: 1_000_000 }),
  MAX_QUEUED_REQUESTS: env.int(1_024, { min: 0, max: 1_000_000 }),
  SHUTDOWN_DELAY_MS: env.int(0, { min: 0, max: 120_000 }),
  TRUST_PROXY: env.optionalString(),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalUrl(['http:', 'https:']),
};

/**
 * The settings every service derives from {@link serviceEnv}. Development is what `pnpm dev`
 * says it is: pretty logs, bound to loopback. Anything else binds every interface (a container).
 */
export function serviceSettings(c: {
  NODE_ENV: 'development' | 'production' | 'test';
  LOG_LEVEL: string;
  LOG_PRETTY?: boolean;
  HOST?: string;
  SUBGRAPH_SIGNING_KEYS?: SigningKey[];
  MAX_IN_FLIGHT_REQUESTS: number;
  MAX_QUEUED_REQUESTS: number;
  SHUTDOWN_DELAY_MS: number;
  TRUST_PROXY?: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
}) {
  const development = c.NODE_ENV === 'development';
  return {
    nodeEnv: c.NODE_ENV,
    development,
    logLevel: c.LOG_LEVEL,
    prettyLogs: c.LOG_PRETTY ?? development,
    host: c.HOST ?? (development ? '127.0.0.1' : '0.0.0.0'),
    signingKeys: c.SUBGRAPH_SIGNING_KEYS,
    /** Requests served at once and waiting; beyond both, 503 `SERVICE_OVERLOADED`. */
    concurrency: { maxInFlight: c.MAX_IN_FLIGHT_REQUESTS, maxQueued: c.MAX_QUEUED_REQUESTS },
    /** On SIGTERM, how long `/ready` says draining before the listener closes. */
    shutdownDelayMs: c.SHUTDOWN_DELAY_MS,
    /** Whose `X-Forwarded-For` to believe for the client's address. */
    trustProxy: trustProxy(c.TRUST_PROXY),
    /** Where traces go (OTLP over HTTP); unset = no tracing at all. */
    otlpEndpoint: c.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
}

/** What every service reads the same way (see {@link serviceSettings}). */
export type ServiceSettings = ReturnType<typeof serviceSettings>;
/** The runtime settings of {@link serviceSettings} every service's configuration carries as they are. */
export type RuntimeSettings = Pick<ServiceSettings, 'concurrency' | 'shutdownDelayMs' | 'trustProxy' | 'otlpEndpoint'>;

/** `TRUST_PROXY`: `true` (any hop), `false`/unset (none), or the proxies' addresses/CIDRs, comma-separated. */
function trustProxy(value: string | undefined): boolean | string[] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * A zod check for a service's variables: outside development, each of `names` must be set
 * (production refuses to start on a silent default). Use with `.superRefine(…, CHECK_ALWAYS)`.
 */
export function requiredOutsideDevelopment(
  names: string[],
  hint: (name: string) => string = () => 'required outside development (NODE_ENV=development)',
) {
  return (values: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (values.NODE_ENV === 'development') return;
    for (const name of names) if (values[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: hint(name) });
  };
}

/**
 * `SUBGRAPH_<NAME>_URL` variables, validated as http(s) URLs, keyed by lowercase subgraph
 * name: where the gateway routes a subgraph, and where a subgraph reaches another.
 */
export function subgraphUrls(source: NodeJS.ProcessEnv): Record<string, string> {
  return perSubgraph<string>(source, '_URL', env.url(''));
}

/** Per-subgraph timeouts from `SUBGRAPH_<NAME>_TIMEOUT_MS` variables, by lowercase name (each 10 ms to 10 min). */
export function subgraphTimeouts(source: NodeJS.ProcessEnv): Record<string, number> {
  return perSubgraph<number>(source, '_TIMEOUT_MS', env.int(0, { min: 10, max: 600_000 }));
}

/** The set `SUBGRAPH_<NAME><suffix>` variables, each read with `schema` (every bad one named at once), by lowercase subgraph name. */
function perSubgraph<T>(source: NodeJS.ProcessEnv, suffix: string, schema: z.ZodType): Record<string, T> {
  const pattern = new RegExp(`^SUBGRAPH_([A-Z0-9_]+)${suffix}$`);
  const names = Object.keys(source).filter((key) => pattern.test(key) && source[key]);
  const values = parseConfig(z.object(Object.fromEntries(names.map((key) => [key, schema]))), source) as Record<string, T>;
  return Object.fromEntries(names.map((key) => [pattern.exec(key)![1]!.toLowerCase(), values[key]!]));
}
