import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, env, parseConfig, serviceEnv, serviceSettings } from '../src/index.js';

const parse = <S extends z.ZodType>(schema: S, source: Record<string, string | undefined>) => parseConfig(schema, source);
const failure = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('names every bad variable and the form it expects, in one message', () => {
    const message = failure(() => parse(z.object({ PORT: env.port(80), MODE: env.choice(['a', 'b'], 'a') }), { PORT: 'http', MODE: 'c' }));
    expect(message).toContain('Invalid configuration');
    expect(message).toMatch(/PORT: expected a TCP port number/);
    expect(message).toMatch(/MODE: .*"a"\|"b"|MODE: .*a.*b/);
  });

  it('reads only the variables under a prefix, and names them with it', () => {
    const schema = z.object({ PORT: env.port(4001) });
    expect(parseConfig(schema, { USERS_PORT: '5001', PORT: '1' }, { prefix: 'USERS_' })).toEqual({ PORT: 5001 });
    expect(failure(() => parseConfig(schema, { USERS_PORT: 'x' }, { prefix: 'USERS_' }))).toContain('USERS_PORT');
  });

  it('treats an empty value as unset (FOO= in an .env file means the default)', () => {
    expect(parse(z.object({ A: env.int(7), B: env.string('b'), C: env.list(['c']) }), { A: '', B: '', C: '' })).toEqual({
      A: 7,
      B: 'b',
      C: ['c'],
    });
  });
});

describe('variable shapes', () => {
  it('int: every whole number in range is accepted, everything else named', () => {
    const schema = z.object({ N: env.int(1, { min: -50, max: 50 }) });
    fc.assert(fc.property(fc.integer({ min: -50, max: 50 }), (n) => parse(schema, { N: String(n) }).N === n));
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 51 }), fc.integer({ max: -51 }), fc.double({ noInteger: true, noNaN: true })), (n) =>
        failure(() => parse(schema, { N: String(n) })).includes('N: expected a whole number'),
      ),
    );
    expect(failure(() => parse(schema, { N: 'ten' }))).toContain('N: expected a whole number');
  });

  it('port: 0 to 65535', () => {
    const schema = z.object({ P: env.port(80) });
    expect(parse(schema, { P: '0' }).P).toBe(0);
    expect(parse(schema, { P: '65535' }).P).toBe(65535);
    expect(failure(() => parse(schema, { P: '65536' }))).toContain('expected a port from 0 to 65535');
  });

  it('bool: true/false/1/0 only; optionalBool: true/false or unset', () => {
    const schema = z.object({ B: env.bool(false), O: env.optionalBool() });
    expect(parse(schema, { B: '1', O: 'false' })).toEqual({ B: true, O: false });
    expect(parse(schema, { B: 'false' })).toEqual({ B: false, O: undefined });
    expect(parse(schema, {})).toEqual({ B: false, O: undefined });
    for (const bad of ['yes', 'TRUE', 'on']) expect(failure(() => parse(schema, { B: bad }))).toContain('B: expected true or false');
    expect(failure(() => parse(schema, { O: '1' }))).toContain('O: expected true or false');
  });

  it('url and optionalUrl: only the given protocols', () => {
    const schema = z.object({ U: env.url('http://localhost/'), R: env.optionalUrl(['redis:']) });
    expect(parse(schema, {})).toEqual({ U: 'http://localhost/', R: undefined });
    expect(parse(schema, { R: 'redis://h:6379' }).R).toBe('redis://h:6379');
    expect(failure(() => parse(schema, { U: 'ftp://x' }))).toContain('U: expected a URL starting with http:// or https://');
    expect(failure(() => parse(schema, { R: 'not a url' }))).toContain('R: expected a URL starting with redis://');
  });

  it('list: comma-separated, trimmed, empty entries dropped', () => {
    expect(parse(z.object({ L: env.list([]) }), { L: ' a, b,,c ' }).L).toEqual(['a', 'b', 'c']);
  });
});

describe('serviceSettings', () => {
  it('is production unless told otherwise: JSON logs, every interface; development: pretty logs on loopback', () => {
    expect(serviceSettings(parse(z.object(serviceEnv), {}))).toEqual({
      nodeEnv: 'production',
      development: false,
      logLevel: 'info',
      prettyLogs: false,
      host: '0.0.0.0',
      signingKeys: undefined,
      concurrency: { maxInFlight: 1_024, maxQueued: 1_024 },
      shutdownDelayMs: 0,
      trustProxy: false,
      otlpEndpoint: undefined,
    });
    expect(serviceSettings(parse(z.object(serviceEnv), { TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' })).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(serviceSettings(parse(z.object(serviceEnv), { TRUST_PROXY: 'true' })).trustProxy).toBe(true);
    expect(serviceSettings(parse(z.object(serviceEnv), { NODE_ENV: 'development' }))).toMatchObject({
      development: true,
      prettyLogs: true,
      host: '127.0.0.1',
    });
    expect(serviceSettings(parse(z.object(serviceEnv), { NODE_ENV: 'production', LOG_PRETTY: 'true', HOST: '10.0.0.1' }))).toMatchObject({
      prettyLogs: true,
      host: '10.0.0.1',
    });
  });

  it('reads signing keys as kid:secret pairs, refusing short secrets and naming the variable', () => {
    const keys = serviceSettings(
      parse(z.object(serviceEnv), { SUBGRAPH_SIGNING_KEYS: `new:${'n'.repeat(32)}, old:${'o'.repeat(40)}` }),
    ).signingKeys;
    expect(keys?.map((key) => [key.id, key.secret.toString()])).toEqual([
      ['new', 'n'.repeat(32)],
      ['old', 'o'.repeat(40)],
    ]);
    expect(failure(() => parse(z.object(serviceEnv), { SUBGRAPH_SIGNING_KEYS: 'k1:short' }))).toContain(
      'SUBGRAPH_SIGNING_KEYS: the secret of key "k1" is shorter than 32 characters',
    );
    expect(failure(() => parse(z.object(serviceEnv), { SUBGRAPH_SIGNING_KEYS: 'no-colon' }))).toContain(
      'SUBGRAPH_SIGNING_KEYS: expected kid:secret pairs',
    );
  });
});
