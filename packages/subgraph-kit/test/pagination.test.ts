import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageQuery, parsePageArgs, toConnection } from '../src/index.js';

const id = (n: number) => `0190f000-0000-7000-8000-${String(n).padStart(12, '0')}`;

describe('cursors', () => {
  it('round-trip an id and are opaque', () => {
    const cursor = encodeCursor(id(1));
    expect(cursor).not.toContain(id(1));
    expect(decodeCursor(cursor)).toBe(id(1));
  });

  it.each(['', 'garbage', encodeCursor('not-a-uuid'), Buffer.from(id(1)).toString('base64url')])(
    'reject %j as BAD_USER_INPUT on `after`',
    (cursor) => {
      const error = (() => {
        try {
          decodeCursor(cursor);
        } catch (e) {
          return e as GraphQLError;
        }
      })();
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    },
  );
});

describe('parsePageArgs', () => {
  it('defaults first to 20', () => {
    expect(parsePageArgs({})).toEqual({ first: 20, afterId: undefined });
  });

  it.each([0, -1, 101, 1.5])('rejects first = %d', (first) => {
    expect(() => parsePageArgs({ first })).toThrow(/between 1 and 100/);
  });

  it('honours a configured maximum', () => {
    expect(parsePageArgs({ first: 500 }, { max: 500 }).first).toBe(500);
    expect(() => parsePageArgs({ first: 501 }, { max: 500 })).toThrow(/between 1 and 500/);
  });
});

describe('pageQuery', () => {
  it('compares ids instead of relying on the cursor row existing', () => {
    expect(pageQuery({ first: 2, afterId: id(5) }, 'desc', { productId: 'p' })).toEqual({
      where: { productId: 'p', id: { lt: id(5) } },
      take: 3,
      orderBy: { id: 'desc' },
    });
    expect(pageQuery({ first: 2, afterId: undefined }, 'asc')).toEqual({ where: {}, take: 3, orderBy: { id: 'asc' } });
  });
});

describe('toConnection', () => {
  const rows = [1, 2, 3].map((n) => ({ id: id(n) }));

  it('drops the look-ahead row and reports a next page', () => {
    const connection = toConnection(rows, { first: 2, afterId: undefined });
    expect(connection.edges.map((e) => e.node)).toEqual(rows.slice(0, 2));
    expect(connection.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: encodeCursor(id(1)),
      endCursor: encodeCursor(id(2)),
    });
  });

  it('describes an empty last page', () => {
    expect(toConnection([], { first: 2, afterId: id(9) }).pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: null,
      endCursor: null,
    });
  });
});
