import type { WorkloadRequest } from '../load.js';

/** The deep storefront page: `topProducts → reviews → author → reviews → product`. */
export const STOREFRONT_DEEP = `query StorefrontDeep {
  topProducts(first: 5) {
    id name price { amount currency } averageRating
    reviews(first: 5) {
      edges { node { rating body author { username reviews(first: 3) { edges { node { rating product { name price { amount currency } } } } } } } }
    }
  }
}`;

const HOME = `query Home { topProducts(first: 5) { id name price { amount currency } averageRating reviewCount } }`;
const PRODUCT_PAGE = `query ProductPage($id: ID!) {
  product(id: $id) {
    id name description price { amount currency } inStock averageRating reviewCount
    reviews(first: 10) { edges { node { rating body createdAt author { username } } } pageInfo { hasNextPage endCursor } }
  }
}`;
const USER_PROFILE = `query UserProfile($id: ID!) {
  user(id: $id) { id username name reviews(first: 10) { edges { node { rating body product { id name price { amount currency } } } } } }
}`;
const PRODUCT_LIST = `query ProductList($after: String) {
  products(first: 20, after: $after) { edges { node { id name price { amount currency } averageRating } } pageInfo { hasNextPage endCursor } }
}`;
const DEEP_PRODUCT = `query ProductDeep($id: ID!) {
  product(id: $id) {
    name
    reviews(first: 5) { edges { node { rating author { username reviews(first: 5) { edges { node { product { name averageRating } } } } } } } }
  }
}`;

/** The storefront's pages, for the workloads that draw their own mix. */
export const STOREFRONT_PAGES = { home: HOME, product: PRODUCT_PAGE, profile: USER_PROFILE, list: PRODUCT_LIST, deepProduct: DEEP_PRODUCT };

/** Ids and list cursors from the data set, found by paging through it. */
export interface Catalog {
  productIds: string[];
  userIds: string[];
  productCursors: string[];
}

/** A small deterministic generator, so every run draws the same mix. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A storefront mix over ids drawn from the whole catalog: home page 10 %, product pages 40 %,
 * user profiles 25 %, product list pages 15 %, a deep product page 10 % — `count` requests,
 * few of them identical.
 */
export function storefrontMix(catalog: Catalog, count = 600, seed = 13): WorkloadRequest[] {
  const next = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  const body = (query: string, variables?: Record<string, unknown>) => ({ body: JSON.stringify({ query, variables }) });
  return Array.from({ length: count }, () => {
    const roll = next();
    if (roll < 0.1) return body(HOME);
    if (roll < 0.5) return body(PRODUCT_PAGE, { id: pick(catalog.productIds) });
    if (roll < 0.75) return body(USER_PROFILE, { id: pick(catalog.userIds) });
    if (roll < 0.9) return body(PRODUCT_LIST, { after: pick(catalog.productCursors) });
    return body(DEEP_PRODUCT, { id: pick(catalog.productIds) });
  });
}

const PAGE = 100;

/** One page of `products` or `users`, as {@link discoverCatalog} asks for it. */
interface Page {
  edges: Array<{ cursor: string; node: { id: string } }>;
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

/** Pages through products and users (`pages` pages of 100 each) to collect ids and cursors. */
export async function discoverCatalog(
  graphql: (query: string, variables: Record<string, unknown>) => Promise<unknown>,
  pages = 20,
): Promise<Catalog> {
  const catalog: Catalog = { productIds: [], userIds: [], productCursors: [] };
  for (const [field, ids] of [
    ['products', catalog.productIds],
    ['users', catalog.userIds],
  ] as const) {
    let after: string | null = null;
    for (let page = 0; page < pages; page++) {
      const data = (await graphql(
        `query ($after: String) { ${field}(first: ${PAGE}, after: $after) { edges { cursor node { id } } pageInfo { endCursor hasNextPage } } }`,
        { after },
      )) as Record<typeof field, Page>;
      const connection = data[field];
      for (const edge of connection.edges) {
        ids.push(edge.node.id);
        if (field === 'products') catalog.productCursors.push(edge.cursor);
      }
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
  }
  return catalog;
}
