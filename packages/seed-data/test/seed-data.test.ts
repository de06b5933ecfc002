import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fakerFor, insertSeedRows, seededCreatedAt, seededId } from '../src/index.js';

describe('seededId', () => {
  it('is a UUIDv7, the same for the same (kind, index, seed), and ordered by index', () => {
    fc.assert(
      fc.property(fc.constantFrom('user', 'product', 'review' as const), fc.nat(1_000_000), fc.nat(1_000), (kind, index, seed) => {
        const id = seededId(kind, index, seed);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(seededId(kind, index, seed)).toBe(id);
        expect(seededId(kind, index + 1, seed) > id).toBe(true);
      }),
    );
    expect(seededId('user', 1, 42)).not.toBe(seededId('product', 1, 42));
    expect(seededCreatedAt(1).getTime() - seededCreatedAt(0).getTime()).toBe(60_000);
  });

  it('gives every row its own deterministic values', () => {
    expect(fakerFor('user', 3, 42).person.firstName()).toBe(fakerFor('user', 3, 42).person.firstName());
  });
});

describe('insertSeedRows', () => {
  it('writes every index once, in bulk statements of at most 5,000 rows, and counts what was new', async () => {
    const batches: number[][] = [];
    const inserted = await insertSeedRows(
      12_001,
      (index) => index,
      async (rows) => {
        batches.push(rows);
        return { count: rows.filter((row) => row % 2 === 0).length };
      },
    );
    expect(batches.map((rows) => rows.length)).toEqual([5_000, 5_000, 2_001]);
    expect(batches.flat()).toEqual(Array.from({ length: 12_001 }, (_, i) => i));
    expect(inserted).toBe(6_001);
    expect(
      await insertSeedRows(
        0,
        (i) => i,
        async () => ({ count: 1 }),
      ),
    ).toBe(0);
  });
});
