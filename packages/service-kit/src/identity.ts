import { forbidden } from './errors.js';
import { canonicalId } from './ids.js';

/** Who a request acts for, as the gateway authenticated it. */
export interface Identity {
  /** The token's subject — a user id; undefined for an anonymous request. */
  sub?: string;
  /** The token's scopes (`scope`, space-separated, or `scp`). */
  scopes: ReadonlySet<string>;
}

/** What development tokens (`pnpm dev`, `pnpm run token`) say, and what the gateway expects in development when JWT_ISSUER / JWT_AUDIENCE are unset. */
export const DEVELOPMENT_TOKENS = { issuer: 'tessera-dev', audience: 'tessera' } as const;

/** A request without a token. */
export const ANONYMOUS: Identity = Object.freeze({ scopes: new Set<string>() });

/** The header the gateway forwards the identity in, covered by its request signature. */
export const IDENTITY_HEADER = 'x-tessera-identity';

/** The identity as a header value: base64url of `{"sub":…,"scopes":[…]}`. */
export function encodeIdentity(identity: Identity): string {
  return Buffer.from(JSON.stringify({ sub: identity.sub, scopes: [...identity.scopes] })).toString('base64url');
}

/** The identity of a header value; anonymous when there is none. Throws on a value no gateway wrote. */
export function decodeIdentity(value: string | undefined): Identity {
  if (!value) return ANONYMOUS;
  const decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { sub?: unknown; scopes?: unknown };
  if (
    (decoded.sub !== undefined && typeof decoded.sub !== 'string') ||
    !Array.isArray(decoded.scopes) ||
    !decoded.scopes.every((s) => typeof s === 'string')
  ) {
    throw new Error('malformed identity header');
  }
  // The gateway sends the canonical form; a request that reached the subgraph otherwise gets it here.
  return { sub: canonicalId(decoded.sub), scopes: new Set(decoded.scopes) };
}

/**
 * Refuses with FORBIDDEN, naming the scope, unless the identity holds it. The gateway checks the
 * schema's `@requiresScopes` first; this holds for a request that reached the subgraph otherwise.
 */
export function requireScope(identity: Identity, scope: string, action: string): void {
  if (!identity.scopes.has(scope)) throw forbidden(`${action} needs the scope ${scope}.`, { scope });
}
