import { badUserInput } from '@tessera/service-kit';
import type DataLoader from 'dataloader';
import { canonicalId, isUuid } from './ids.js';

/** Bounds of the `first` argument of every connection. */
export interface PageSizeLimits {
  /** Largest page a client may ask for; more is an error, never a silent clamp. @default 100 */
  max?: number;
}

/** A connection field's arguments as the client sent them. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** A validated page request: how many rows, after which key. */
export interface PageRequest {
  first: number;
  /** Key (row id) the page starts after, decoded from the client's cursor. */
  afterId: string | undefined;
}

const CURSOR_PREFIX = 'c1:';

/**
 * The page a connection returns when `first` is left out or null. Each connection field's
 * schema declares the same default (`first: Int = 20`): the gateway's cost estimate counts
 * that default for an omitted or null `first`, so the two must agree.
 */
export const DEFAULT_PAGE_SIZE = 20;

/** Opaque cursor for a row id. Versioned so the encoding can change without breaking stored cursors silently. */
export function encodeCursor(id: string): string {
  return Buffer.from(CURSOR_PREFIX + id, 'utf8').toString('base64url');
}

/** Inverse of {@link encodeCursor}; a cursor we did not issue is a BAD_USER_INPUT on `field`. */
export function decodeCursor(cursor: string, field = 'after'): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith(CURSOR_PREFIX) || !isUuid(decoded.slice(CURSOR_PREFIX.length))) {
    throw badUserInput(`"${field}" is not a cursor returned by this API.`, field);
  }
  return canonicalId(decoded.slice(CURSOR_PREFIX.length));
}

/**
 * Validates `first`/`after`. `first` must be 1..max: asking for more than the cap is
 * an error the client can see and fix, not a silently shorter page. Left out or null, it is
 * {@link DEFAULT_PAGE_SIZE}.
 */
export function parsePageArgs(args: PageArgs, { max = 100 }: PageSizeLimits = {}): PageRequest {
  const first = parseFirst(args.first ?? DEFAULT_PAGE_SIZE, { max });
  return { first, afterId: args.after == null ? undefined : decodeCursor(args.after) };
}

/** Validates a page size: 1..max, else BAD_USER_INPUT on `first` carrying the `max`. */
export function parseFirst(first: number, { max = 100 }: PageSizeLimits = {}): number {
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw badUserInput(`"first" must be between 1 and ${max}; got ${first}.`, 'first', { max });
  }
  return first;
}

/** Relay connection shape returned by list fields. */
export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * Builds a connection from rows fetched with `take: first + 1`: the extra row only
 * tells whether a next page exists and is not returned.
 */
export function toConnection<T extends { id: string }>(rows: T[], page: PageRequest): Connection<T> {
  const hasNextPage = rows.length > page.first;
  const nodes = hasNextPage ? rows.slice(0, page.first) : rows;
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: page.afterId !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/**
 * Prisma `findMany` arguments for one page in id order: rows strictly after the cursor's
 * id (a comparison, not Prisma's `cursor`, so a page still follows when the cursor's row
 * was deleted meanwhile), plus one row more than asked that only tells whether a next
 * page exists. `where` is merged with the caller's filter.
 */
export function pageQuery<W extends object>(page: PageRequest, direction: 'asc' | 'desc', where: W = {} as W) {
  const after = page.afterId === undefined ? {} : { id: direction === 'asc' ? { gt: page.afterId } : { lt: page.afterId } };
  return { where: { ...where, ...after }, take: page.first + 1, orderBy: { id: direction } };
}

/** Prisma `findMany` arguments for one page of a whole table, as {@link pageQuery} builds them. */
export interface PageQuery {
  where: { id?: { gt: string } | { lt: string } };
  take: number;
  orderBy: { id: 'asc' | 'desc' };
}

/** Options of {@link findPage}. */
export interface FindPageOptions<T> {
  /** Largest `first` accepted. */
  max: number;
  /** The table's `findMany`, given {@link pageQuery}'s arguments in ascending id order. */
  findMany: (query: PageQuery) => Promise<T[]>;
  /** The by-id loader to prime with the rows, so their entity lookups in this request cost nothing. */
  loader: DataLoader<string, T | null>;
}

/** One page of a whole table, oldest first: validated arguments, one statement, a connection. */
export async function findPage<T extends { id: string }>(
  args: PageArgs,
  { max, findMany, loader }: FindPageOptions<T>,
): Promise<Connection<T>> {
  const page = parsePageArgs(args, { max });
  const rows = await findMany(pageQuery(page, 'asc'));
  for (const row of rows) loader.prime(row.id, row);
  return toConnection(rows, page);
}
