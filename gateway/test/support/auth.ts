import { SignJWT } from 'jose';

/** The credentials gateways under test run with: fixed test values, used nowhere else. */
export const TEST_AUTH = {
  jwtSecret: 'gateway-test-jwt-secret-0123456789abcdefghijklmnop',
  issuer: 'https://id.tessera.test/',
  audience: 'tessera-test',
  signingKey: { id: 'test-1', secret: 'gateway-test-signing-secret-0123456789abcdefghij' },
} as const;

/** The variables that give a gateway the test credentials. */
export const TEST_AUTH_ENV: Record<string, string> = {
  JWT_SECRET: TEST_AUTH.jwtSecret,
  JWT_ISSUER: TEST_AUTH.issuer,
  JWT_AUDIENCE: TEST_AUTH.audience,
  SUBGRAPH_SIGNING_KEYS: `${TEST_AUTH.signingKey.id}:${TEST_AUTH.signingKey.secret}`,
};

/**
 * A token the test gateway accepts: HS256, the test issuer and audience, an hour to live. Its
 * scopes go in `scope`, space-separated; `{ scp: [...] }` puts them in an `scp` array instead
 * (where a scope may itself hold a space).
 */
export function testToken(sub: string, scopes: string[] | { scp: string[] } = []): Promise<string> {
  return new SignJWT(Array.isArray(scopes) ? { scope: scopes.join(' ') } : { scp: scopes.scp })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(TEST_AUTH.issuer)
    .setAudience(TEST_AUTH.audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(TEST_AUTH.jwtSecret));
}
