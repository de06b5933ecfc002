import { describe, expect, it, vi } from 'vitest';
import { approximateSize, createMemoryKeyValueCache } from '../src/index.js';

describe('createMemoryKeyValueCache', () => {
  it('gets what was set, until deleted', async () => {
    const cache = createMemoryKeyValueCache<string>({ maxSize: 100 });
    expect(await cache.get('a')).toBeUndefined();
    await cache.set('a', 'alpha');
    expect(await cache.get('a')).toBe('alpha');
    expect(await cache.delete('a')).toBe(true);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.delete('a')).toBe(false);
  });

  it('holds at most maxSize, dropping the least recently used first, and never an entry larger than all of it', async () => {
    const cache = createMemoryKeyValueCache<string>({ maxSize: 10 });
    await cache.set('a', 'aaaa');
    await cache.set('b', 'bbbb');
    await cache.get('a');
    await cache.set('c', 'cccc');
    expect([await cache.get('a'), await cache.get('b'), await cache.get('c')]).toEqual(['aaaa', undefined, 'cccc']);
    await cache.set('huge', 'x'.repeat(11));
    expect(await cache.get('huge')).toBeUndefined();
  });

  it('measures objects by their JSON, or by sizeOf', async () => {
    expect(approximateSize({ kind: 'Document' })).toBe(JSON.stringify({ kind: 'Document' }).length);
    expect(approximateSize('é')).toBe(1);
    const counted = createMemoryKeyValueCache<{ n: number }>({ maxSize: 2, sizeOf: () => 1 });
    await Promise.all([counted.set('1', { n: 1 }), counted.set('2', { n: 2 }), counted.set('3', { n: 3 })]);
    expect([await counted.get('1'), await counted.get('3')]).toEqual([undefined, { n: 3 }]);
  });

  it('forgets an entry after its ttl (seconds); without one, keeps it', async () => {
    const cache = createMemoryKeyValueCache<string>({ maxSize: 100 });
    await cache.set('brief', 'b', { ttl: 0.05 });
    await cache.set('kept', 'k', { ttl: null });
    expect(await cache.get('brief')).toBe('b');
    await vi.waitFor(async () => expect(await cache.get('brief')).toBeUndefined());
    expect(await cache.get('kept')).toBe('k');
  });
});
