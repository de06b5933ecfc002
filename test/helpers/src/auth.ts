import { SignJWT } from 'jose';

/**
 * The credentials every test platform runs with: a JWT secret and issuer/audience the gateway
 * verifies, and the key the gateway signs subgraph requests with. Fixed test values, never
 * used anywhere else.
 */
export const TEST_AUTH = {
  jwtSecret: 'test-jwt-secret-0123456789abcdefghijklmnopqrstuv',
  issuer: 'https://id.tessera.test/',
  audience: 'tessera-test',
  signingKeys: 'test-1:test-signing-secret-0123456789abcdefghijklmnop',
} as const;

/** The variables that give a service the test credentials. */
export const TEST_AUTH_ENV: Record<string, string> = {
  JWT_SECRET: TEST_AUTH.jwtSecret,
  JWT_ISSUER: TEST_AUTH.issuer,
  JWT_AUDIENCE: TEST_AUTH.audience,
  SUBGRAPH_SIGNING_KEYS: TEST_AUTH.signingKeys,
};

/** Options of {@link testToken}. */
export interface TestTokenOptions {
  sub: string;
  /** In `scope`, space-separated. @default [] */
  scopes?: string[];
  /** In an `scp` array instead (where a scope may itself hold a space). */
  scp?: string[];
  /** Lifetime (`1h`) or, for an expired token, a past time (seconds since the epoch). @default '1h' */
  expires?: string | number;
  /** @default TEST_AUTH.audience */
  audience?: string;
  /** @default TEST_AUTH.jwtSecret */
  secret?: string;
}

/** A bearer token the test gateway accepts (or, with other options, refuses). */
export function testToken({
  sub,
  scopes = [],
  scp,
  expires = '1h',
  audience = TEST_AUTH.audience,
  secret = TEST_AUTH.jwtSecret,
}: TestTokenOptions): Promise<string> {
  return new SignJWT({ ...(scopes.length && { scope: scopes.join(' ') }), ...(scp && { scp }) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(TEST_AUTH.issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret));
}
