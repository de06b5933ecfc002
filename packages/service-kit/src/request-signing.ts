import { createHash, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { BUDGET_HEADER } from './deadline.js';
import { IDENTITY_HEADER } from './identity.js';
import { READ_POSITION_HEADER } from './write-positions.js';

/**
 * Requests from the gateway to a subgraph carry an HMAC-SHA256 signature over what they ask
 * and for whom, so that a subgraph answers nobody else and trusts the identity it is sent.
 */
export const SIGNATURE_HEADER = 'x-tessera-signature';

/**
 * The headers a subgraph acts on, which the signature therefore covers: who the request acts
 * for, the time budget left (a captured request sent again with a budget of its own could
 * otherwise hold the subgraph's work for ten minutes), and the write position its reads must
 * show (dropped on the way, a writer would read a replica that lacks its write; raised, every
 * read would go to the primary). The request id and `traceparent` only label logs and traces.
 */
export const SIGNED_HEADERS = [IDENTITY_HEADER, BUDGET_HEADER, READ_POSITION_HEADER] as const;
export type SignedHeader = (typeof SIGNED_HEADERS)[number];

/**
 * Headers signed since a later release, only when sent: a request without them is signed as
 * before, so a gateway and subgraphs one release apart accept each other's requests during a
 * rolling upgrade. Dropping or adding one still changes what is signed.
 */
const SIGNED_WHEN_SENT: ReadonlySet<SignedHeader> = new Set([READ_POSITION_HEADER]);

/** One shared secret, named so that keys can rotate: sign with the first, accept any. */
export interface SigningKey {
  id: string;
  secret: Buffer;
}

/** What a signature covers. */
export interface SignedRequest {
  method: string;
  /** Path and query string, as sent. */
  path: string;
  /** The body as sent (empty for a GET). */
  body: string | Buffer | undefined;
  /** The {@link SIGNED_HEADERS} as sent; one left out is signed as absent. */
  headers: Partial<Record<SignedHeader, string>>;
}

/** Signatures older than this (or this far in the future) are refused. */
export const SIGNATURE_MAX_AGE_MS = 60_000;

/**
 * `kid:secret` pairs, comma-separated (`SUBGRAPH_SIGNING_KEYS`). Secrets are at least 32
 * characters: a shorter one could be guessed offline from one signed request.
 */
export function parseSigningKeys(value: string): SigningKey[] {
  const keys = value
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf(':');
      const id = pair.slice(0, at);
      const secret = pair.slice(at + 1);
      if (at < 1 || !/^[\w.-]+$/.test(id))
        throw new Error(`expected kid:secret pairs, the kid of letters, digits, "_", "." or "-"; got "${pair.slice(0, 12)}…"`);
      if (secret.length < 32) throw new Error(`the secret of key "${id}" is shorter than 32 characters`);
      return { id, secret: Buffer.from(secret) };
    });
  if (keys.length === 0) throw new Error('expected at least one kid:secret pair');
  return keys;
}

/**
 * What is signed, one field a line (no field can hold a line break: methods, paths and header
 * values cannot, the body is a digest); an absent header is told apart from an empty one (and
 * one of {@link SIGNED_WHEN_SENT} left out: it is named on its line when sent).
 */
function canonical(request: SignedRequest, timestamp: number, nonce: string): string {
  const digest = createHash('sha256')
    .update(request.body ?? '')
    .digest('hex');
  const headers = SIGNED_HEADERS.flatMap((name) => {
    const value = request.headers[name];
    if (value !== undefined) return [`${name}:${value}`];
    return SIGNED_WHEN_SENT.has(name) ? [] : [`${name}!`];
  });
  return ['v2', timestamp, nonce, request.method.toUpperCase(), request.path, digest, ...headers].join('\n');
}

// A secret handed to createHmac as a Buffer is imported into a new KeyObject on every call
// (a fifth of the cost of signing, profiled); each key's is made once.
const keyObjects = new WeakMap<SigningKey, KeyObject>();

function mac(key: SigningKey, text: string): Buffer {
  let keyObject = keyObjects.get(key);
  if (!keyObject) keyObjects.set(key, (keyObject = createSecretKey(key.secret)));
  return createHmac('sha256', keyObject).update(text).digest();
}

// Nonces only need to be unique per key within SIGNATURE_MAX_AGE_MS: 96 random bits per
// process (16 base64url characters, always) and a counter are, without asking the system for
// randomness on every request.
const noncePrefix = randomBytes(12).toString('base64url');
let nonceCounter = 0;

/** The signature header value for a request: `kid=…;ts=…;nonce=…;sig=…`. */
export function signRequest(request: SignedRequest, key: SigningKey, now = Date.now()): string {
  const nonce = `${noncePrefix}${(nonceCounter++).toString(36)}`;
  return `kid=${key.id};ts=${now};nonce=${nonce};sig=${mac(key, canonical(request, now, nonce)).toString('base64url')}`;
}

/** Why a signature was refused. */
export type SignatureProblem = 'missing' | 'malformed' | 'unknown key' | 'stale' | 'bad signature' | 'replayed';

/**
 * Where the nonces of accepted signatures are remembered for their window: `claim` answers true
 * the first time it is given a nonce, false after. Each replica of a subgraph remembers alone in
 * memory; replicas that share a store (`createRedisNonceStore`) refuse a captured request
 * replayed to any of them.
 */
export interface NonceStore {
  claim(nonce: string, ttlMs: number): boolean | Promise<boolean>;
}

/** Nonces in this process's memory (a million at most: a minute of a busy subgraph). */
export function createMemoryNonceStore(): NonceStore {
  const seen = new LRUCache<string, true>({ max: 1_000_000, ttl: 2 * SIGNATURE_MAX_AGE_MS, ttlAutopurge: false });
  return {
    claim(nonce, ttlMs) {
      if (seen.has(nonce)) return false;
      seen.set(nonce, true, { ttl: ttlMs });
      return true;
    },
  };
}

/** Options of {@link createSignatureVerifier}. */
export interface SignatureVerifierOptions {
  keys: SigningKey[];
  /** @default SIGNATURE_MAX_AGE_MS */
  maxAgeMs?: number;
  now?: () => number;
  /** Where accepted nonces are remembered. @default this process's memory */
  nonces?: NonceStore;
}

/**
 * Checks signatures: a known key, a timestamp within `maxAgeMs`, a MAC that matches the
 * request — its method, path, body and {@link SIGNED_HEADERS} — and a nonce not seen before in
 * that window (`nonces`), so a captured request cannot be sent again.
 */
export function createSignatureVerifier({
  keys,
  maxAgeMs = SIGNATURE_MAX_AGE_MS,
  now = Date.now,
  nonces = createMemoryNonceStore(),
}: SignatureVerifierOptions) {
  const byId = new Map(keys.map((key) => [key.id, key]));
  return async (request: SignedRequest, header: string | undefined): Promise<SignatureProblem | null> => {
    if (!header) return 'missing';
    const fields = Object.fromEntries(
      header.split(';').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]),
    );
    const timestamp = Number(fields.ts);
    if (!fields.kid || !fields.nonce || !fields.sig || !Number.isSafeInteger(timestamp)) return 'malformed';
    const key = byId.get(fields.kid);
    if (!key) return 'unknown key';
    if (Math.abs(now() - timestamp) > maxAgeMs) return 'stale';
    const expected = mac(key, canonical(request, timestamp, fields.nonce));
    const given = Buffer.from(fields.sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad signature';
    // Remembered as long as the timestamp could still pass: until maxAgeMs after it.
    return (await nonces.claim(`${key.id}:${fields.nonce}`, 2 * maxAgeMs)) ? null : 'replayed';
  };
}
