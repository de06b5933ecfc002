/**
 * `withWholeAnswer` (pipeline/incremental.ts), which the response cache keeps an answer in parts
 * by: generated answers cut into a first part and deferred items (whole subtrees moved out, some
 * fields in both, items in any order) merge back into the same answer; errors of every part are
 * gathered; a client that stops reading leaves nothing to keep.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withWholeAnswer, type SubsequentResult } from '../src/pipeline/index.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;
type Item = NonNullable<SubsequentResult['incremental']>[number];

const { tree } = fc.letrec<{ tree: Record<string, Json>; value: Json }>((tie) => ({
  tree: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), tie('value'), { maxKeys: 4 }),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.constant(null)),
    tie('tree'),
    fc.array(tie('tree'), { maxLength: 3 }),
  ),
}));

const isRecord = (value: unknown): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Cuts `answer` into the first part's data and deferred items, as `choose` decides for each field:
 * kept, deferred whole, or in both — an object or list in both split between them (some of its
 * fields in one, some in the other, some in both), as a field selected outside and inside a
 * deferred fragment with different subfields is.
 */
function cut(answer: Record<string, Json>, choose: () => 'keep' | 'defer' | 'both') {
  const items: Item[] = [];
  const split = (value: Json): [Json, Json] => {
    if (Array.isArray(value)) {
      const halves = value.map(split);
      return [halves.map(([left]) => left), halves.map(([, right]) => right)];
    }
    if (!isRecord(value)) return [value, value];
    const [left, right]: [Record<string, Json>, Record<string, Json>] = [{}, {}];
    for (const [key, field] of Object.entries(value)) {
      const choice = choose();
      if (choice === 'keep') left[key] = field;
      else if (choice === 'defer') right[key] = field;
      else [left[key], right[key]] = split(field);
    }
    return [left, right];
  };
  const descend = (value: Json, path: Path): Json => {
    if (isRecord(value)) return walk(value, path);
    return Array.isArray(value) ? value.map((element, i) => descend(element, [...path, i])) : value;
  };
  const walk = (node: Record<string, Json>, path: Path): Record<string, Json> => {
    const kept: Record<string, Json> = {};
    const deferred: Record<string, Json> = {};
    for (const [key, value] of Object.entries(node)) {
      const choice = choose();
      if (choice === 'keep') kept[key] = descend(value, [...path, key]);
      else if (choice === 'defer') deferred[key] = value;
      else {
        const [left, right] = split(value);
        kept[key] = descend(left, [...path, key]);
        deferred[key] = right;
      }
    }
    if (Object.keys(deferred).length > 0) items.push({ data: deferred, path });
    return kept;
  };
  return { first: walk(answer, []), items };
}

/** `items` in an order drawn from `seed` (Fisher–Yates over a linear congruential sequence). */
function shuffle<T>(items: T[], seed: number): T[] {
  const shuffled = [...items];
  let state = seed;
  for (let i = shuffled.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return shuffled;
}

async function* partsOf(items: Item[][]): AsyncGenerator<SubsequentResult> {
  for (const [i, incremental] of items.entries()) yield { hasNext: i < items.length - 1, incremental };
}

async function drain(parts: AsyncIterable<SubsequentResult>, stopAfter = Infinity): Promise<SubsequentResult[]> {
  const seen: SubsequentResult[] = [];
  for await (const part of parts) if (seen.push(part) >= stopAfter) break;
  return seen;
}

describe('withWholeAnswer', () => {
  it('merges the parts of any answer back into that answer, whatever was deferred and in whatever order the items come', async () => {
    await fc.assert(
      fc.asyncProperty(
        tree,
        fc.infiniteStream(fc.constantFrom<'keep' | 'defer' | 'both'>('keep', 'defer', 'both')),
        fc.nat(),
        async (answer, choices, seed) => {
          const { first, items } = cut(answer, () => choices.next().value as 'keep' | 'defer' | 'both');
          // Any order, in parts of one or two items: an item's path is always in the first part.
          const shuffled = shuffle(items, seed);
          const grouped = shuffled.reduce<Item[][]>(
            (groups, item, i) => (i % 2 === 0 ? groups.push([item]) : groups.at(-1)!.push(item), groups),
            [],
          );
          let whole: unknown;
          const firstCopy = structuredClone(first);
          const passed = await drain(withWholeAnswer({ data: first }, partsOf(grouped.length > 0 ? grouped : [[]]), (w) => (whole = w)));
          expect(whole).toEqual({ data: answer, errors: [] });
          // The parts go on unchanged, and the first part's data is not touched.
          expect(passed.flatMap((part) => part.incremental ?? [])).toEqual(shuffled);
          expect(first).toEqual(firstCopy);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("gathers every part's errors, the first part's first", async () => {
    let whole: unknown;
    const parts = partsOf([
      [{ data: { b: 1 }, path: [], errors: [{ message: 'second' }] }],
      [{ data: null, path: ['x'], errors: [{ message: 'third' }] }],
    ]);
    await drain(withWholeAnswer({ data: { a: 1 }, errors: [{ message: 'first' }] }, parts, (w) => (whole = w)));
    expect(whole).toEqual({ data: { a: 1, b: 1 }, errors: [{ message: 'first' }, { message: 'second' }, { message: 'third' }] });
  });

  it('leaves nothing to keep when the client stops reading before the last part', async () => {
    let called = false;
    const parts = partsOf([[{ data: { b: 1 }, path: [] }], [{ data: { c: 1 }, path: [] }]]);
    await drain(
      withWholeAnswer({ data: { a: 1 } }, parts, () => (called = true)),
      1,
    );
    expect(called).toBe(false);
  });
});
