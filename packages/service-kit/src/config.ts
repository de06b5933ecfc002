import { z } from 'zod';

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
  const lines = result.error.issues.map((issue) => {
    const variable = prefix + (issue.path.join('.') || '(environment)');
    return `  ${variable}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

/** The variables starting with `prefix`, with the prefix removed. */
function unprefixed(env: NodeJS.ProcessEnv, prefix: string): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

/** A bad environment variable; its message is meant for the operator. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

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
    z.preprocess(unsetIfEmpty, z.stringbool({ truthy: ['true'], falsy: ['false'], case: 'sensitive', error: 'expected true or false' }).optional()),
  nodeEnv: () => z.preprocess(unsetIfEmpty, z.enum(['development', 'production', 'test']).default('development')),
  logLevel: () =>
    z.preprocess(unsetIfEmpty, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  list: (fallback: string[]) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .optional()
        .transform((v) => (v === undefined ? fallback : v.split(',').map((s) => s.trim()).filter(Boolean))),
    ),
};

/** Variables every service reads the same way; spread into a service's schema. */
export const serviceEnv = {
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  LOG_PRETTY: env.optionalBool(),
  HOST: env.string('0.0.0.0'),
};

/** The settings every service derives from {@link serviceEnv}: pretty logs default to development. */
export function serviceSettings(c: {
  NODE_ENV: 'development' | 'production' | 'test';
  LOG_LEVEL: string;
  LOG_PRETTY?: boolean;
  HOST: string;
}) {
  return { nodeEnv: c.NODE_ENV, logLevel: c.LOG_LEVEL, prettyLogs: c.LOG_PRETTY ?? c.NODE_ENV === 'development', host: c.HOST };
}
