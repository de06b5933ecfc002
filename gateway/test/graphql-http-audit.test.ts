/**
 * The GraphQL-over-HTTP audit of `graphql-http` (the spec's reference implementation), run
 * against a production gateway with introspection on (the audit's variable checks ask `__type`).
 * No MUST or SHOULD may fail; of the MAYs, only those Apollo's CSRF prevention refuses on purpose.
 */
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

/**
 * GETs without `apollo-require-preflight` or a non-simple content type: a browser sends those
 * cross-site without a preflight, so Apollo's CSRF prevention refuses them (400) on purpose.
 */
const CSRF_REFUSED = ['5A70', 'D6D5', '6A70'];

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ INTROSPECTION: 'true' });
});
afterAll(() => gateway?.close());

describe('graphql-http server audit', () => {
  it('passes every MUST and SHOULD, and every MAY but the GETs CSRF prevention refuses', async () => {
    const failed: Array<{ id: string; status: string; name: string; reason: string }> = [];
    for (const audit of serverAudits({ url: `${gateway.url}/graphql` })) {
      const result = await audit.fn();
      if (result.status !== 'ok') failed.push({ id: audit.id, status: result.status, name: audit.name, reason: result.reason });
    }
    expect(failed.filter((f) => f.status !== 'notice')).toEqual([]);
    expect(failed.map((f) => f.id).sort()).toEqual([...CSRF_REFUSED].sort());
  });
});
