/**
 * `createAuthorization` alone, on a gateway of just that feature: what it takes out for whom,
 * what the executor is handed, and what the client reads.
 */
import type { Identity } from '@tessera/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorization } from '../../src/features/authorization/index.js';
import { startFeatureServer, type FeatureServer } from './feature-server.js';

const signedIn = (sub: string, scopes: string[] = []): Identity => ({ sub, scopes: new Set(scopes) });
/** Callers by the bearer value they send (the feature server's stand-in for the identity feature). */
const callers: Record<string, Identity> = { alice: signedIn('alice'), writer: signedIn('writer', ['products:write']) };
const identityOf = (request: object) => {
  const header = (request as { headers: Record<string, string | undefined> }).headers.authorization;
  return (header && callers[header]) || { sub: undefined, scopes: new Set<string>() };
};

let server: FeatureServer | undefined;
afterEach(() => server?.close());

describe('createAuthorization', () => {
  it('takes out what an anonymous caller may not see, runs the rest, and answers nulls with an error per place', async () => {
    server = await startFeatureServer([createAuthorization()], { identityOf });
    const query = '{ user(id: "u1") { id username email } }';
    const { status, body } = await server.post({ query });
    expect(status).toBe(200);
    expect(body.data).toEqual({ user: { id: 'id-1', username: 'text', email: null } });
    expect(body.errors?.map(({ path, extensions }) => ({ path, code: extensions?.code }))).toEqual([
      { path: ['user', 'email'], code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
    ]);
    // The executor was handed the filtered document, as a request of its own: the client's text is not what ran.
    expect(server.executed.at(-1)).not.toContain('email');
  });

  it('takes nothing out for a caller who may see it: the document runs as sent', async () => {
    server = await startFeatureServer([createAuthorization()], { identityOf });
    const { body } = await server.post({ query: '{ user(id: "u1") { id email } }' }, { authorization: 'alice' });
    expect(body).toEqual({ data: { user: { id: 'id-1', email: 'text' } } });
    expect(server.executed.at(-1)).toContain('email');
  });

  it('refuses a mutation with an unauthorized root field outright: 401 anonymous, 403 signed in, nothing runs', async () => {
    server = await startFeatureServer([createAuthorization()], { identityOf });
    const mutation = 'mutation { updateProduct(id: "p1", input: { name: "x" }) { id } }';
    const anonymous = await server.post({ query: mutation });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    const alice = await server.post({ query: mutation }, { authorization: 'alice' });
    expect(alice.status).toBe(403);
    expect(server.executed).toHaveLength(0);
    const writer = await server.post({ query: mutation }, { authorization: 'writer' });
    expect(writer.status).toBe(200);
    expect(server.executed).toHaveLength(1);
  });

  it('keeps an object every field of which was taken out, in the shape the client asked for', async () => {
    server = await startFeatureServer([createAuthorization()], { identityOf });
    const { status, body } = await server.post({ query: '{ user(id: "u1") { email } }' });
    expect(status).toBe(200);
    // The object is fetched (by its __typename alone) so its null has a place; the client asked for no __typename.
    expect(body.data).toEqual({ user: { email: null } });
    expect(body.errors).toHaveLength(1);
    const aliased = await server.post({ query: '{ user(id: "u1") { kind: __typename email } }' });
    expect(aliased.body.data).toEqual({ user: { kind: 'User', email: null } });
  });

  it('says which operations it filtered, for the caches', async () => {
    const authorization = createAuthorization();
    const filtered: boolean[] = [];
    // A feature listed after it, reading its verdict when the response is sent.
    const reader = {
      name: 'reader',
      plugins: [
        {
          requestDidStart: async () => ({
            willSendResponse: async ({ contextValue }) => void filtered.push(authorization.filtered(contextValue)),
          }),
        },
      ],
    } satisfies Parameters<typeof startFeatureServer>[0][number];
    server = await startFeatureServer([authorization, reader], { identityOf });
    await server.post({ query: '{ user(id: "u1") { id email } }' });
    await server.post({ query: '{ user(id: "u1") { id email } }' }, { authorization: 'alice' });
    expect(filtered).toEqual([true, false]);
  });
});
