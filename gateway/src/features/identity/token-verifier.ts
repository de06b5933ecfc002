import { createPublicKey, type KeyObject } from 'node:crypto';
import { canonicalId, type Identity } from '@tessera/service-kit';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { withDefaults } from '../../options.js';

/** Where the keys that sign tokens come from: exactly one of these. */
export type TokenKeys =
  /** An identity provider's JWKS endpoint: fetched, cached, fetched again for an unknown `kid`. */
  | { jwksUrl: string }
  /** One public key, PEM (RSA, EC or Ed25519). */
  | { publicKey: string }
  /** A shared secret (HS256): development and tests. */
  | { secret: string };

/** Options of {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  keys: TokenKeys;
  /** The `iss` a token must carry. */
  issuer: string;
  /** An `aud` a token must carry: a token minted for another service is refused. */
  audience: string;
  /** Leeway for `exp` and `nbf` against clock drift. @default 30 */
  clockToleranceSeconds?: number;
  /**
   * Longest lifetime a token may claim: from its `iat` (or, without one, from now) to its `exp`.
   * A token must have an `exp`; one without, or one that lives longer, is refused — a stolen
   * token must stop working on its own. @default 86_400 (a day)
   */
  maxTokenAgeSeconds?: number;
  /** Least time between two fetches of the JWKS (a token with an unknown `kid` fetches it again). @default 30_000 */
  jwksCooldownMs?: number;
  /**
   * How long a token, once verified, is taken as verified again without checking its signature
   * (never past its `exp`) — also how long a key removed from the JWKS still counts for tokens
   * seen before. @default 60_000
   */
  verifiedTtlMs?: number;
}

/** Every default of the token verifier, written once (`JWT_CLOCK_SKEW_SECONDS`, `JWT_MAX_TOKEN_AGE_SECONDS`). */
export const TOKEN_VERIFIER_DEFAULTS: Required<
  Pick<TokenVerifierOptions, 'clockToleranceSeconds' | 'maxTokenAgeSeconds' | 'jwksCooldownMs' | 'verifiedTtlMs'>
> = {
  clockToleranceSeconds: 30,
  maxTokenAgeSeconds: 86_400,
  jwksCooldownMs: 30_000,
  verifiedTtlMs: 60_000,
};

/** The identity a verified token carries, and when the token stops being accepted (epoch ms: its `exp` with the clock tolerance). */
export interface VerifiedIdentity extends Identity {
  expiresAt: number;
}

/** Verifies a bearer token: the identity it carries, or an {@link InvalidTokenError}. */
export type TokenVerifier = (token: string) => Promise<VerifiedIdentity>;

/** A token that cannot be trusted; `reason` is safe to show the client. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** Algorithms each kind of public key verifies; `none` is never among them. */
const ALGORITHMS: Record<string, string[]> = {
  rsa: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'rsa-pss': ['PS256', 'PS384', 'PS512'],
  ec: ['ES256', 'ES384', 'ES512'],
  ed25519: ['EdDSA', 'Ed25519'],
};
const JWKS_ALGORITHMS = [...ALGORITHMS.rsa!, ...ALGORITHMS.ec!, ...ALGORITHMS.ed25519!];

/**
 * Verifies bearer tokens (`jose`): signature by one of the configured keys with an algorithm
 * that fits them, `iss`, `aud`, `exp` and `nbf`. Answers the identity — subject and scopes,
 * from `scope` (space-separated) or `scp` (an array or a string).
 *
 * A client sends the same token on every request until it expires; checking its signature
 * each time was a tenth of the gateway's CPU on a busy workload (profiled). So a verified
 * token — the exact string, which no one can forge — is remembered for `verifiedTtlMs`, and
 * answered from memory while its `exp` allows. Failures are never remembered.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { keys, issuer, audience, clockToleranceSeconds, maxTokenAgeSeconds, jwksCooldownMs, verifiedTtlMs } = withDefaults(
    TOKEN_VERIFIER_DEFAULTS,
    options,
  );
  const { key, algorithms } = keyMaterial(keys, jwksCooldownMs);
  const verified = new LRUCache<string, VerifiedIdentity>({ max: 10_000, ttl: verifiedTtlMs });
  return async (token) => {
    const known = verified.get(token);
    if (known && Date.now() < known.expiresAt) return known;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
        issuer,
        audience,
        algorithms,
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw new InvalidTokenError(describe(error), { cause: error });
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('The token has no subject.');
    const exp = payload.exp!;
    const issuedAt = typeof payload.iat === 'number' ? payload.iat : Date.now() / 1_000;
    if (exp - issuedAt > maxTokenAgeSeconds + clockToleranceSeconds)
      throw new InvalidTokenError(`The token lives longer than ${maxTokenAgeSeconds} s; this gateway accepts no longer-lived ones.`);
    // A user id in another letter case is the same user: every key, check and subgraph sees one form.
    const identity = { sub: canonicalId(payload.sub), scopes: scopesOf(payload) };
    const verifiedIdentity: VerifiedIdentity = { ...identity, expiresAt: (exp + clockToleranceSeconds) * 1_000 };
    verified.set(token, verifiedIdentity);
    return verifiedIdentity;
  };
}

function keyMaterial(keys: TokenKeys, cooldownDuration: number): { key: KeyObject | Uint8Array | JWTVerifyGetKey; algorithms: string[] } {
  if ('jwksUrl' in keys)
    return { key: createRemoteJWKSet(new URL(keys.jwksUrl), { cooldownDuration, cacheMaxAge: 600_000 }), algorithms: JWKS_ALGORITHMS };
  if ('publicKey' in keys) {
    const key = createPublicKey(keys.publicKey);
    return { key, algorithms: ALGORITHMS[key.asymmetricKeyType ?? ''] ?? [] };
  }
  return { key: new TextEncoder().encode(keys.secret), algorithms: ['HS256'] };
}

function scopesOf(payload: JWTPayload): ReadonlySet<string> {
  const raw = payload.scope ?? payload.scp;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
  return new Set(list.filter((scope): scope is string => typeof scope === 'string' && scope !== ''));
}

/** What went wrong, in words a client may read (no key material, no internals). */
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired.';
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp' && error.reason === 'missing')
    return 'The token has no expiry (exp); tokens must expire.';
  if (error instanceof errors.JWTClaimValidationFailed) return `The token's ${error.claim} claim is not accepted here.`;
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey)
    return 'The token is not signed by a trusted key.';
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token's algorithm is not accepted here.";
  if (error instanceof errors.JWKSTimeout || (error instanceof errors.JOSEError && error.code === 'ERR_JWKS_INVALID'))
    return 'The keys to check the token are not available.';
  return 'The token is malformed.';
}
