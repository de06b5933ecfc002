/** Bearer tokens: what is accepted, what is refused, and where the keys come from. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, InvalidTokenError } from '../src/features/identity/index.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { TEST_AUTH, testToken } from '@tessera/test-helpers';

const issuer = 'https://id.example.test/';
const audience = 'tessera';
const secret = 'a-shared-secret-for-hs256-0123456789abcdef';

function token(
  key: Parameters<SignJWT['sign']>[0],
  alg: string,
  claims: { sub?: string; aud?: string; iss?: string; exp?: number | string; scope?: string; scp?: unknown; kid?: string } = {},
) {
  const jwt = new SignJWT({
    ...(claims.scope !== undefined && { scope: claims.scope }),
    ...(claims.scp !== undefined && { scp: claims.scp }),
  })
    .setProtectedHeader({ alg, ...(claims.kid && { kid: claims.kid }) })
    .setIssuer(claims.iss ?? issuer)
    .setAudience(claims.aud ?? audience)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? '5m');
  if (claims.sub !== '') jwt.setSubject(claims.sub ?? 'user-1');
  return jwt.sign(key);
}
const hs = new TextEncoder().encode(secret);
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: Error) => (error instanceof InvalidTokenError ? error.message : `other: ${error}`),
  );

describe('createTokenVerifier (JWT_SECRET, HS256)', () => {
  const verify = createTokenVerifier({ keys: { secret }, issuer, audience });

  it('accepts a good token, with scopes from scope (space-separated) or scp (array or string)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    // Until when: the token's exp, with the clock tolerance (30 s by default).
    expect(await verify(await token(hs, 'HS256', { scope: 'a b', exp }))).toEqual({
      sub: 'user-1',
      scopes: new Set(['a', 'b']),
      expiresAt: (exp + 30) * 1_000,
    });
    expect((await verify(await token(hs, 'HS256', { scp: ['c', 'd'] }))).scopes).toEqual(new Set(['c', 'd']));
    expect((await verify(await token(hs, 'HS256', { scp: 'e' }))).scopes).toEqual(new Set(['e']));
    expect((await verify(await token(hs, 'HS256'))).scopes.size).toBe(0);
  });

  it('refuses an expired token, one signed with another key, for another audience or issuer, or without a subject', async () => {
    expect(await refusal(verify(await token(hs, 'HS256', { exp: Math.floor(Date.now() / 1000) - 120 })))).toBe('The token has expired.');
    expect(await refusal(verify(await token(new TextEncoder().encode('another-secret-0123456789abcdefghijklmn'), 'HS256')))).toBe(
      'The token is not signed by a trusted key.',
    );
    expect(await refusal(verify(await token(hs, 'HS256', { aud: 'another-service' })))).toBe("The token's aud claim is not accepted here.");
    expect(await refusal(verify(await token(hs, 'HS256', { iss: 'https://evil.example/' })))).toBe(
      "The token's iss claim is not accepted here.",
    );
    expect(await refusal(verify(await token(hs, 'HS256', { sub: '' })))).toBe('The token has no subject.');
  });

  it('refuses a token without exp, or one that claims to live longer than maxTokenAgeSeconds', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forever = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('u')
      .setIssuedAt()
      .sign(hs);
    expect(await refusal(verify(forever))).toBe('The token has no expiry (exp); tokens must expire.');
    expect(await refusal(verify(await token(hs, 'HS256', { exp: now + 2 * 86_400 })))).toMatch(/lives longer than 86400 s/);
    expect((await verify(await token(hs, 'HS256', { exp: now + 86_400 }))).sub).toBe('user-1');
    const short = createTokenVerifier({ keys: { secret }, issuer, audience, maxTokenAgeSeconds: 600 });
    expect(await refusal(short(await token(hs, 'HS256', { exp: '1h' })))).toMatch(/lives longer than 600 s/);
    // Without iat, the lifetime counts from now.
    const noIat = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('u')
      .setExpirationTime(now + 2 * 86_400)
      .sign(hs);
    expect(await refusal(verify(noIat))).toMatch(/lives longer/);
  });

  it('accepts generated lifetimes up to the maximum (iat to exp) and refuses every longer one', async () => {
    const max = 3_600;
    const bounded = createTokenVerifier({ keys: { secret }, issuer, audience, maxTokenAgeSeconds: max, clockToleranceSeconds: 0 });
    const now = Math.floor(Date.now() / 1000);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 3 * max }), async (age, lifetime) => {
        const iat = now - age;
        fc.pre(iat + lifetime > now + 1);
        const jwt = await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(issuer)
          .setAudience(audience)
          .setSubject('u')
          .setIssuedAt(iat)
          .setExpirationTime(iat + lifetime)
          .sign(hs);
        expect(await refusal(bounded(jwt))).toBe(
          lifetime <= max ? 'accepted' : `The token lives longer than ${max} s; this gateway accepts no longer-lived ones.`,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('gives a subject that is a user id in another letter case the canonical id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uuid(), fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }), async (id, upper) => {
        const mixed = [...id].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
        expect((await verify(await token(hs, 'HS256', { sub: mixed }))).sub).toBe(id.toLowerCase());
      }),
      { numRuns: 50 },
    );
    // Not a user id: case matters, as JWT's StringOrURI says.
    expect((await verify(await token(hs, 'HS256', { sub: 'Auth0|AbC' }))).sub).toBe('Auth0|AbC');
  });

  it('tolerates 30 s of clock skew, no more', async () => {
    expect((await verify(await token(hs, 'HS256', { exp: Math.floor(Date.now() / 1000) - 10 }))).sub).toBe('user-1');
    expect(await refusal(verify(await token(hs, 'HS256', { exp: Math.floor(Date.now() / 1000) - 40 })))).toBe('The token has expired.');
  });

  it('refuses alg none, and an algorithm that does not fit the key, and what is not a JWT', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'admin', iss: issuer, aud: audience })).toString('base64url')}.`;
    expect(await refusal(verify(unsigned))).toBe("The token's algorithm is not accepted here.");
    const { privateKey } = await generateKeyPair('RS256');
    expect(await refusal(verify(await token(privateKey, 'RS256')))).toBe("The token's algorithm is not accepted here.");
    expect(await refusal(verify('not.a.token'))).toBe('The token is malformed.');
  });
});

describe('createTokenVerifier: verified tokens remembered', () => {
  it('answers a token seen before from memory, but never past its exp', async () => {
    const verify = createTokenVerifier({ keys: { secret }, issuer, audience, clockToleranceSeconds: 0 });
    // At least a second ahead (exp is in whole seconds): the two verifications below come before it.
    const expiresSoon = await token(hs, 'HS256', { exp: Math.floor(Date.now() / 1000) + 2 });
    expect((await verify(expiresSoon)).sub).toBe('user-1');
    expect((await verify(expiresSoon)).sub).toBe('user-1');
    // 3.1 s later by the clock the verifier and jose read (the remembered token's exp has passed).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_100 });
    try {
      expect(await refusal(verify(expiresSoon))).toBe('The token has expired.');
    } finally {
      vi.useRealTimers();
    }
  });

  it('remembers only the exact verified string: a changed character is checked again and refused', async () => {
    const verify = createTokenVerifier({ keys: { secret }, issuer, audience });
    const good = await token(hs, 'HS256', { scope: 'a' });
    await verify(good);
    const [header, payload, signature] = good.split('.');
    const escalated = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'admin' })).toString('base64url')}.${signature}`;
    expect(await refusal(verify(escalated))).toBe('The token is not signed by a trusted key.');
    expect(await refusal(verify(`${good}x`))).not.toBe('accepted');
  });

  it('never remembers a refusal, and forgets a verified token after verifiedTtlMs', async () => {
    const verify = createTokenVerifier({ keys: { secret }, issuer, audience, verifiedTtlMs: 50 });
    const notYet = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('u')
      .setNotBefore(Math.floor(Date.now() / 1000) + 60)
      .sign(hs);
    expect(await refusal(verify(notYet))).not.toBe('accepted');
    expect(await refusal(verify(notYet))).not.toBe('accepted');
    // A key that stops being trusted (here: a verifier with another secret sees the same token) is not consulted from another verifier's memory.
    const good = await token(hs, 'HS256');
    await verify(good);
    const rotated = createTokenVerifier({ keys: { secret: 'a-new-secret-0123456789abcdefghijklmnopq' }, issuer, audience });
    expect(await refusal(rotated(good))).toBe('The token is not signed by a trusted key.');
  });
});

describe('createTokenVerifier (JWT_PUBLIC_KEY)', () => {
  it('accepts tokens signed by the key, with an algorithm of its kind only', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const verify = createTokenVerifier({ keys: { publicKey: await exportSPKI(publicKey) }, issuer, audience });
    expect((await verify(await token(privateKey, 'ES256'))).sub).toBe('user-1');
    expect(await refusal(verify(await token(hs, 'HS256')))).toBe("The token's algorithm is not accepted here.");
  });
});

describe('createTokenVerifier (JWT_JWKS_URL)', () => {
  let server: Server;
  let keys: JWK[] = [];
  let fetches = 0;
  let url: string;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      fetches++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('fetches the keys once, and again for a token signed with a key it has not seen (rotation)', async () => {
    const first = await generateKeyPair('RS256');
    keys = [{ ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'RS256' }];
    const verify = createTokenVerifier({ keys: { jwksUrl: url }, issuer, audience, jwksCooldownMs: 0 });
    expect((await verify(await token(first.privateKey, 'RS256', { kid: 'k1' }))).sub).toBe('user-1');
    expect((await verify(await token(first.privateKey, 'RS256', { kid: 'k1', sub: 'user-2' }))).sub).toBe('user-2');
    expect(fetches).toBe(1);

    const second = await generateKeyPair('RS256');
    keys = [...keys, { ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'RS256' }];
    expect((await verify(await token(second.privateKey, 'RS256', { kid: 'k2' }))).sub).toBe('user-1');
    expect(fetches).toBe(2);

    const stranger = await generateKeyPair('RS256');
    expect(await refusal(verify(await token(stranger.privateKey, 'RS256', { kid: 'k3' })))).toBe(
      'The token is not signed by a trusted key.',
    );
  });
});

describe('the gateway with tokens', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway?.close());

  it('serves a request without a token as anonymous', async () => {
    expect((await gateway.post({ query: '{ __typename }' })).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves a request with a good token', async () => {
    const { status, body } = await gateway.post(
      { query: '{ __typename }' },
      { authorization: `Bearer ${await testToken({ sub: 'user-1' })}` },
    );
    expect(status).toBe(200);
    expect(body).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers a bad token with 401 UNAUTHENTICATED and no data, whatever the client accepts, never as anonymous', async () => {
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer(TEST_AUTH.issuer)
      .setAudience(TEST_AUTH.audience)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(new TextEncoder().encode(TEST_AUTH.jwtSecret));
    for (const authorization of [
      `Bearer ${expired}`,
      'Bearer garbage',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      'Bearer',
      `Bearer ${await testToken({ sub: 'u' })} extra`,
    ]) {
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const response = await fetch(`${gateway.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept, authorization },
          body: '{"query":"{ __typename }"}',
        });
        expect(response.status, authorization).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
        const body = (await response.json()) as GraphQLResponse;
        expect(body.data).toBeUndefined();
        expect(body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
      }
    }
  });
});
