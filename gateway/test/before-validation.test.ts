/**
 * The expensive refusals are cheap: a document over a limit is refused before Apollo validates
 * it — a 23 KB document of one field repeated cost 100+ ms of validation to refuse ("Validation
 * aborted") — and every request is charged to the caller's rate limit before it is parsed, so a
 * caller already answered 429 gets nothing more parsed or validated.
 */
import { testToken } from '@tessera/test-helpers';
import { countOverlappingFieldPairs } from '@tessera/service-kit';
import fc from 'fast-check';
import { Kind, parse, type OperationDefinitionNode, type SelectionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBeforeValidation } from '../src/features/limits/index.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const LIMITS = { maxDepth: 15, maxAliases: 30, maxNodes: 10_000, maxSchemaFields: 1, maxOfTypeDepth: 10, maxOverlappingFieldPairs: 1_000 };

/** The pairs validation compares, by brute force over a document without fragments: same-key fields merged, their children merged. */
function bruteForcePairs(query: string): number {
  type Node = { key: string; children: Node[] };
  const read = (selections: readonly SelectionNode[]): Node[] =>
    selections.map((s) => {
      if (s.kind !== Kind.FIELD) throw new Error(`fields only, not ${s.kind}`);
      return { key: s.alias?.value ?? s.name.value, children: s.selectionSet ? read(s.selectionSet.selections) : [] };
    });
  const count = (nodes: Node[]): number => {
    const groups = new Map<string, Node[]>();
    for (const node of nodes) groups.set(node.key, [...(groups.get(node.key) ?? []), node]);
    let pairs = 0;
    for (const group of groups.values()) {
      pairs += (group.length * (group.length - 1)) / 2;
      pairs += count(group.flatMap((node) => node.children));
    }
    return pairs;
  };
  return count(read((parse(query).definitions[0] as OperationDefinitionNode).selectionSet.selections));
}

/** A selection of up to three levels of fields, each level a few keys repeated a few times. */
const selection: fc.Arbitrary<string> = fc.letrec<{ field: string; set: string }>((tie) => ({
  field: fc
    .tuple(fc.constantFrom('a', 'b', 'c'), fc.option(tie('set'), { nil: undefined, depthSize: 'small' }))
    .map(([name, inner]) => (inner ? `${name} { ${inner} }` : name)),
  set: fc.array(tie('field'), { minLength: 1, maxLength: 6 }).map((fields) => fields.join(' ')),
})).set;

describe('countOverlappingFieldPairs', () => {
  it('counts the pairs validation compares: same-key fields, merged all the way down', () => {
    fc.assert(
      fc.property(selection, (set) => {
        const query = `{ ${set} }`;
        expect(countOverlappingFieldPairs(parse(query), undefined, Number.MAX_SAFE_INTEGER)).toBe(bruteForcePairs(query));
      }),
      { numRuns: 500 },
    );
  });

  it('counts a fragment once per selection set, as validation spreads it, and walks no deeper once past the limit', () => {
    const spread = '{ a ...F ...F ...F } fragment F on Query { a b }';
    expect(countOverlappingFieldPairs(parse(spread), undefined, 100)).toBe(1);
    // 45 pairs at the top are past a limit of 10: the 10 × 9 / 2 × 10 pairs below are not counted.
    const repeated = `{ ${'a { b b b b b b b b b b } '.repeat(10)}}`;
    expect(countOverlappingFieldPairs(parse(repeated), undefined, 10)).toBe(45);
    expect(countOverlappingFieldPairs(parse(repeated), undefined, 100_000)).toBe(45 + (100 * 99) / 2);
  });

  it('refuses before validation by the shape limits first, and leaves fragment cycles to validation', () => {
    const bomb = `{ ...F0 } ${Array.from({ length: 40 }, (_, i) => (i === 39 ? `fragment F${i} on Query { a { b } c { b } }` : `fragment F${i} on Query { a { ...F${i + 1} } c { ...F${i + 1} } }`)).join(' ')}`;
    expect(checkBeforeValidation(parse(bomb), undefined, { ...LIMITS, maxDepth: 1_000 })?.extensions.code).toBe('MAX_NODES_LIMIT');
    expect(checkBeforeValidation(parse('{ ...A } fragment A on Query { a { ...A } }'), undefined, LIMITS)).toBeNull();
    expect(checkBeforeValidation(parse(`{ ${'topProducts { id } '.repeat(100)}}`), undefined, LIMITS)?.extensions).toMatchObject({
      code: 'MAX_OVERLAPPING_FIELDS_LIMIT',
      overlappingFieldPairs: { max: 1_000 },
    });
  });
});

describe('the gateway, before validation', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ MAX_OVERLAPPING_FIELD_PAIRS: '1000' });
  });
  afterAll(() => gateway?.close());

  /** Whether Apollo saw the request: its request log writes a line for each one it handled. */
  const handledByApollo = (operationName: string) =>
    gateway.logs().some((line) => line.msg === 'graphql request' && line.operationName === operationName);

  it('refuses the 23 KB document of one repeated field without validating it', async () => {
    const { status, body } = await gateway.post({
      query: `query Repeats { ${'topProducts { id } '.repeat(1_200)}}`,
      operationName: 'Repeats',
    });
    expect([status, body.errors?.[0]?.extensions?.code]).toEqual([400, 'MAX_OVERLAPPING_FIELDS_LIMIT']);
    expect(handledByApollo('Repeats')).toBe(false);
    expect(
      gateway
        .logs()
        .some((line) => line.msg === 'graphql request refused before validation' && line.code === 'MAX_OVERLAPPING_FIELDS_LIMIT'),
    ).toBe(true);
  });

  it('answers generated documents of repeated fields: refused unvalidated exactly when over the limit, validated otherwise', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (copies, inner, viaFragment) => {
          const name = `Probe${n++}`;
          const field = `topProducts { ${'id '.repeat(inner)}}`;
          const query = viaFragment
            ? `query ${name} { ${Array.from({ length: copies }, (_, i) => `...F${i}`).join(' ')} } ${Array.from({ length: copies }, (_, i) => `fragment F${i} on Query { ${field} }`).join(' ')}`
            : `query ${name} { ${Array.from({ length: copies }, () => field).join(' ')} }`;
          const over = countOverlappingFieldPairs(parse(query), name, 1_000) > 1_000;
          const { status, body } = await gateway.post({ query, operationName: name });
          expect(status).toBeLessThan(500);
          if (over) {
            expect(body.errors?.[0]?.extensions?.code).toBe('MAX_OVERLAPPING_FIELDS_LIMIT');
            expect(handledByApollo(name)).toBe(false);
          } else {
            expect(body.errors?.some((e) => e.extensions!.code === 'MAX_OVERLAPPING_FIELDS_LIMIT') ?? false).toBe(false);
            expect(handledByApollo(name)).toBe(true);
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('the rate limit, charged before parsing', () => {
  /** What the caller pays before anything is parsed: 1 point, and 1 per started KiB of body. */
  const sizeCharge = (body: string) => 1 + Math.ceil(Buffer.byteLength(body) / 1_024);
  const POINTS = 120;
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ RATE_LIMIT_POINTS: String(POINTS), RATE_LIMIT_WINDOW_SECONDS: '600' });
  });
  afterAll(() => gateway?.close());

  /** Requests that fail in every way a spent caller could still try, and one that succeeds. */
  const kinds = {
    parseError: (pad: number) => JSON.stringify({ query: `{ ${'x'.repeat(pad)}` }),
    validationError: (pad: number) => JSON.stringify({ query: `{ nope${'x'.repeat(pad)} }` }),
    apqMiss: (pad: number) =>
      JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } }, padding: 'x'.repeat(pad) }),
    overLimit: () => JSON.stringify({ query: `{ ${'topProducts { id } '.repeat(300)}}` }),
    ok: (pad: number) => JSON.stringify({ query: `{ __typename }${' '.repeat(pad)}` }),
  };

  it('charges every request by its size, whatever becomes of it, and answers 429 from then on without parsing', async () => {
    const request = fc.tuple(fc.constantFrom(...(Object.keys(kinds) as Array<keyof typeof kinds>)), fc.integer({ min: 0, max: 6_000 }));
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 40 }), async (requests) => {
        // A caller of its own per run: the client's address is the bucket, so each run signs in as someone new.
        const token = await testToken({ sub: `caller-${Math.random()}` });
        let spent = 0;
        for (const [kind, pad] of requests) {
          const body = kinds[kind](pad);
          spent += sizeCharge(body);
          const response = await fetch(`${gateway.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
            body,
          });
          const answer = (await response.json()) as { errors?: Array<{ extensions: { code: string } }> };
          const limited = answer.errors?.[0]?.extensions.code === 'RATE_LIMITED';
          expect([kind, pad, limited]).toEqual([kind, pad, spent > POINTS]);
          if (limited) expect(response.status).toBe(429);
        }
      }),
      { numRuns: 25 },
    );
  });
});
