/** Gateway → subgraph signatures cover what a subgraph acts on, and are accepted once. */
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSignatureVerifier,
  signRequest,
  SIGNED_HEADERS,
  type NonceStore,
  type SignedRequest,
  type SigningKey,
} from '../src/index.js';

const key: SigningKey = { id: 'k1', secret: Buffer.from('signing-secret-0123456789abcdefghijklmn') };
const request: SignedRequest = {
  method: 'POST',
  path: '/graphql',
  body: '{"query":"{ me { id } }"}',
  headers: { 'x-tessera-identity': 'eyJzdWIiOiJ1MSJ9', 'x-tessera-budget-ms': '9000', 'x-tessera-read-position': '000000000301a2b8' },
};

describe('request signatures', () => {
  it('cover every signed header: any change to the identity, the time budget or the read position, or leaving one out, is a bad signature', async () => {
    // The request's headers are those a subgraph acts on: each is signed.
    expect([...SIGNED_HEADERS].sort()).toEqual(Object.keys(request.headers).sort());
    const header = fc.constantFrom(...SIGNED_HEADERS);
    const change = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 12 }), fc.constantFrom('', '600000', '9000 ', ' 9000'));
    const verify = createSignatureVerifier({ keys: [key] });
    await fc.assert(
      fc.asyncProperty(header, change, async (name, value) => {
        fc.pre(value !== request.headers[name]);
        const signature = signRequest(request, key);
        const { [name]: _dropped, ...others } = request.headers;
        const tampered = { ...request, headers: value === undefined ? others : { ...request.headers, [name]: value } };
        expect(await verify(tampered, signature)).toBe('bad signature');
        expect(await verify(request, signature)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it('of a request without a read position are those of the release before it was signed (a rolling upgrade verifies both ways)', async () => {
    const { 'x-tessera-read-position': _position, ...before } = request.headers;
    const unpositioned = { ...request, headers: before };
    // The previous release's signature, line by line: no line for the read position.
    const digest = createHash('sha256').update(request.body!).digest('hex');
    const lines = [
      'v2',
      1_700_000_000_000,
      'n1',
      'POST',
      '/graphql',
      digest,
      'x-tessera-identity:eyJzdWIiOiJ1MSJ9',
      'x-tessera-budget-ms:9000',
    ];
    const sig = createHmac('sha256', key.secret).update(lines.join('\n')).digest('base64url');
    const old = `kid=${key.id};ts=1700000000000;nonce=n1;sig=${sig}`;
    const verifier = () => createSignatureVerifier({ keys: [key], now: () => 1_700_000_000_000 });
    expect(await verifier()(unpositioned, old)).toBeNull();
    // Sent, the position is signed: the same signature does not cover it.
    expect(await verifier()({ ...request, headers: { ...before, 'x-tessera-read-position': '0000000000000001' } }, old)).toBe(
      'bad signature',
    );
  });

  it('tell an absent header from an empty one', async () => {
    const verify = createSignatureVerifier({ keys: [key] });
    const absent = { ...request, headers: {} };
    expect(await verify({ ...request, headers: { 'x-tessera-identity': '' } }, signRequest(absent, key))).toBe('bad signature');
  });

  it('are accepted once per nonce store: replicas sharing one refuse a replay to any of them', async () => {
    const shared = new Set<string>();
    const store: NonceStore = { claim: async (nonce) => !shared.has(nonce) && Boolean(shared.add(nonce)) };
    const [a, b] = [createSignatureVerifier({ keys: [key], nonces: store }), createSignatureVerifier({ keys: [key], nonces: store })];
    const signature = signRequest(request, key);
    expect(await a(request, signature)).toBeNull();
    expect(await b(request, signature)).toBe('replayed');
    // Each with a memory of its own (no shared store), the other replica would serve it again.
    const [c, d] = [createSignatureVerifier({ keys: [key] }), createSignatureVerifier({ keys: [key] })];
    const again = signRequest(request, key);
    expect([await c(request, again), await c(request, again), await d(request, again)]).toEqual([null, 'replayed', null]);
  });
});
