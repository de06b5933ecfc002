import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBatchLoader, createRowLoader, DEFAULT_MAX_BATCH_SIZE } from '../src/index.js';

/** A fake table: the loader under test is DataLoader wiring, not a database. */
function table(ids: string[]) {
  const calls: string[][] = [];
  const fetchRows = async (keys: string[]) => {
    calls.push(keys);
    // Rows come back in no particular order, as from `WHERE id IN (...)`.
    return ids
      .filter((id) => keys.includes(id))
      .reverse()
      .map((id) => ({ id, name: `row ${id}` }));
  };
  return { calls, fetchRows };
}

const valid = (key: string) => key.startsWith('k');

describe('createRowLoader', () => {
  it('answers in key order, null for missing or invalid keys, fetching only distinct valid keys in batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.stringMatching(/^k[0-9]{1,3}$/), { maxLength: 40 }),
        fc.array(fc.oneof(fc.stringMatching(/^k[0-9]{1,3}$/), fc.stringMatching(/^x[0-9]$/)), { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        async (existing, requested, maxBatchSize) => {
          const { calls, fetchRows } = table(existing);
          const loader = createRowLoader(fetchRows, (row) => row.id, { name: 'rows', isValidKey: valid, maxBatchSize });
          const results = await Promise.all(requested.map((key) => loader.load(key)));
          expect(results).toEqual(requested.map((key) => (valid(key) && existing.includes(key) ? { id: key, name: `row ${key}` } : null)));
          const fetched = calls.flat();
          const distinctValid = new Set(requested.filter(valid));
          expect(new Set(fetched)).toEqual(distinctValid);
          expect(fetched).toHaveLength(distinctValid.size);
          // DataLoader cuts batches before invalid keys are set aside: they take room in a batch but never reach `fetch`.
          expect(calls.every((batch) => batch.length <= maxBatchSize)).toBe(true);
          expect(calls.length).toBeLessThanOrEqual(Math.ceil(new Set(requested).size / maxBatchSize));
        },
      ),
    );
  });

  it('sends one statement per key when batching is off', async () => {
    const { calls, fetchRows } = table(['k1', 'k2']);
    const loader = createRowLoader(fetchRows, (row) => row.id, { name: 'rows', batch: false });
    await Promise.all(['k1', 'k2', 'k3'].map((key) => loader.load(key)));
    expect(calls).toEqual([['k1'], ['k2'], ['k3']]);
  });

  it(`batches up to ${DEFAULT_MAX_BATCH_SIZE} keys by default`, async () => {
    const keys = Array.from({ length: DEFAULT_MAX_BATCH_SIZE + 1 }, (_, i) => `k${i}`);
    const { calls, fetchRows } = table(keys);
    const loader = createRowLoader(fetchRows, (row) => row.id, { name: 'rows' });
    await Promise.all(keys.map((key) => loader.load(key)));
    expect(calls.map((batch) => batch.length)).toEqual([DEFAULT_MAX_BATCH_SIZE, 1]);
  });
});

describe('createBatchLoader', () => {
  it('answers object keys by their cache key and fills gaps with `missing`', async () => {
    const seen: Array<Array<{ parent: string; limit: number }>> = [];
    const loader = createBatchLoader(
      async (keys: Array<{ parent: string; limit: number }>) => {
        seen.push(keys);
        return keys.map((key) =>
          key.parent === 'k-empty' ? undefined : Array.from({ length: key.limit }, (_, i) => `${key.parent}#${i}`),
        );
      },
      { name: 'pages', missing: [] as string[], isValidKey: (key) => valid(key.parent), cacheKeyFn: (key) => `${key.parent}|${key.limit}` },
    );
    const results = await Promise.all([
      loader.load({ parent: 'k1', limit: 2 }),
      loader.load({ parent: 'k1', limit: 2 }),
      loader.load({ parent: 'k1', limit: 1 }),
      loader.load({ parent: 'bad', limit: 3 }),
      loader.load({ parent: 'k-empty', limit: 3 }),
    ]);
    expect(results).toEqual([['k1#0', 'k1#1'], ['k1#0', 'k1#1'], ['k1#0'], [], []]);
    expect(seen).toEqual([
      [
        { parent: 'k1', limit: 2 },
        { parent: 'k1', limit: 1 },
        { parent: 'k-empty', limit: 3 },
      ],
    ]);
  });

  it('calls nothing when every key is invalid', async () => {
    let calls = 0;
    const loader = createBatchLoader(async (keys: string[]) => (calls++, keys.map(() => 1)), {
      name: 'numbers',
      missing: 0,
      isValidKey: valid,
    });
    expect(await loader.loadMany(['x', 'y'])).toEqual([0, 0]);
    expect(calls).toBe(0);
  });
});
