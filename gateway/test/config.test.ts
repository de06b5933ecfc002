import { ConfigError } from '@tessera/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';

const KEYS = `k1:${'s'.repeat(32)}`;
const SECRET = 'x'.repeat(32);
/** What production needs at least: token keys, issuer and audience, and the subgraph signing keys. */
const PRODUCTION = { JWT_SECRET: SECRET, JWT_ISSUER: 'https://id.example/', JWT_AUDIENCE: 'tessera', SUBGRAPH_SIGNING_KEYS: KEYS };

/** The operator's message when `env` is refused. */
function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('in development, runs without any key: Sandbox, introspection, loopback, the development token issuer', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config).toMatchObject({
      development: true,
      host: '127.0.0.1',
      introspection: true,
      landingPage: true,
      auth: undefined,
      signingKeys: undefined,
    });
    expect(config.supergraph.kind).toBe('compose');
    const withSecret = loadConfig({ NODE_ENV: 'development', JWT_SECRET: SECRET });
    expect(withSecret.auth).toMatchObject({ keys: { secret: SECRET }, issuer: 'tessera-dev', audience: 'tessera' });
  });

  it('is production unless told otherwise: no Sandbox, no introspection, every interface, the committed supergraph', () => {
    const config = loadConfig(PRODUCTION);
    expect(config).toMatchObject({
      nodeEnv: 'production',
      development: false,
      host: '0.0.0.0',
      introspection: false,
      landingPage: false,
      corsOrigins: [],
    });
    expect(config.auth).toMatchObject({
      keys: { secret: SECRET },
      issuer: 'https://id.example/',
      audience: 'tessera',
      clockToleranceSeconds: 30,
    });
    expect(config.signingKeys?.map((k) => k.id)).toEqual(['k1']);
    expect(config.supergraph.kind).toBe('file');
  });

  it.each(['SUBGRAPH_SIGNING_KEYS', 'JWT_ISSUER', 'JWT_AUDIENCE'])('refuses to start in production without %s, naming it', (name) => {
    const { [name]: _removed, ...env } = PRODUCTION as Record<string, string>;
    expect(problems(env)).toMatch(new RegExp(`${name}: required outside development`));
  });

  it('wants exactly one source of token keys, each in its form', () => {
    const { JWT_SECRET: _secret, ...noKeys } = PRODUCTION;
    expect(problems(noKeys)).toMatch(/JWT_JWKS_URL: required outside development: JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET/);
    expect(problems({ ...PRODUCTION, JWT_JWKS_URL: 'https://id.example/jwks.json' })).toMatch(/set only one of/);
    expect(problems({ ...PRODUCTION, JWT_SECRET: 'short' })).toMatch(/JWT_SECRET: expected at least 32 characters/);
    expect(problems({ ...noKeys, JWT_PUBLIC_KEY: 'not a key' })).toMatch(/JWT_PUBLIC_KEY: expected a PEM public key/);
    expect(problems({ ...PRODUCTION, SUBGRAPH_SIGNING_KEYS: 'k1:short' })).toMatch(/SUBGRAPH_SIGNING_KEYS: .*32/);
    expect(loadConfig({ ...noKeys, JWT_JWKS_URL: 'https://id.example/jwks.json' }).auth?.keys).toEqual({
      jwksUrl: 'https://id.example/jwks.json',
    });
  });

  it('reads per-subgraph URLs and timeouts by name, beside the shared timeout', () => {
    const config = loadConfig({
      ...PRODUCTION,
      SUBGRAPH_REVIEWS_URL: 'http://reviews.internal/graphql',
      SUBGRAPH_REVIEWS_TIMEOUT_MS: '1500',
    });
    expect(config.subgraphs.urls).toEqual({ reviews: 'http://reviews.internal/graphql' });
    expect(config.subgraphs.resilience).toMatchObject({ timeoutMs: 5_000, timeouts: { reviews: 1_500 } });
  });

  it('names every bad variable in one message, not one per start', () => {
    const message = problems({ GATEWAY_PORT: 'abc', SUBGRAPH_USERS_URL: 'not a url', SUBGRAPH_USERS_TIMEOUT_MS: '5', COST_MAX: '0' });
    for (const name of [
      'GATEWAY_PORT',
      'SUBGRAPH_USERS_URL',
      'SUBGRAPH_USERS_TIMEOUT_MS',
      'COST_MAX',
      'JWT_JWKS_URL',
      'JWT_ISSUER',
      'JWT_AUDIENCE',
      'SUBGRAPH_SIGNING_KEYS',
    ]) {
      expect(message).toContain(`  ${name}: `);
    }
  });
});
