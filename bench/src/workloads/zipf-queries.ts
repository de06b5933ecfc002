import type { WorkloadRequest } from '../load.js';
import { random, STOREFRONT_PAGES, type Catalog } from './storefront-queries.js';

/**
 * Draws ranks 0…n−1 with probability ∝ 1 / (rank + 1)^s (Zipf): the few popular items most
 * requests ask for, and a long tail. Ranks are mapped to items through a seeded shuffle, so the
 * popular ones are not the first page of the catalog.
 */
export function zipf<T>(items: readonly T[], s: number, next: () => number): () => T {
  const order = [...items];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 0; rank < order.length; rank++) cumulative.push((total += 1 / (rank + 1) ** s));
  return () => {
    const target = next() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return order[low]!;
  };
}

const UPDATE_PRICE =
  'mutation ZipfPrice($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id price { amount currency } } }';
const CREATE_REVIEW = 'mutation ZipfReview($input: CreateReviewInput!) { createReview(input: $input) { id rating } }';

/** What the stream of a Zipf run is made of. */
export interface ZipfStreamOptions {
  catalog: Catalog;
  /** Share of writes, half price changes (`updateProduct`), half new reviews (`createReview`). @default 0 */
  writeShare?: number;
  /** Headers of a write: a token with `products:write` whose subject is a user of the catalog. */
  writerHeaders?: Record<string, string>;
  /** Zipf exponent. @default 1 */
  s?: number;
  seed?: number;
}

/** A request of the stream, and whether it writes. */
export type ZipfRequest = WorkloadRequest & { write: boolean };

/**
 * An endless storefront stream whose product and user ids (and list pages) follow Zipf(s): the
 * storefront mix's pages (home 10 %, product 40 %, profile 25 %, list 15 %, deep product 10 %) and,
 * for `writeShare` of the requests, writes to Zipf-drawn products. Each call draws the next
 * request; the same seed draws the same stream.
 */
export function zipfStream({ catalog, writeShare = 0, writerHeaders, s = 1, seed = 29 }: ZipfStreamOptions): () => ZipfRequest {
  const next = random(seed);
  const product = zipf(catalog.productIds, s, next);
  const user = zipf(catalog.userIds, s, next);
  const cursor = zipf(catalog.productCursors, s, next);
  const body = (query: string, variables?: Record<string, unknown>, write = false): ZipfRequest => ({
    body: JSON.stringify({ query, variables }),
    write,
    ...(write && { headers: writerHeaders }),
  });
  return () => {
    if (next() < writeShare) {
      if (next() < 0.5)
        return body(
          UPDATE_PRICE,
          { id: product(), input: { price: { amount: 100 + Math.floor(next() * 100_000), currency: 'EUR' } } },
          true,
        );
      return body(CREATE_REVIEW, { input: { productId: product(), rating: 1 + Math.floor(next() * 5), body: 'Zipf run' } }, true);
    }
    const roll = next();
    if (roll < 0.1) return body(STOREFRONT_PAGES.home);
    if (roll < 0.5) return body(STOREFRONT_PAGES.product, { id: product() });
    if (roll < 0.75) return body(STOREFRONT_PAGES.profile, { id: user() });
    if (roll < 0.9) return body(STOREFRONT_PAGES.list, { after: cursor() });
    return body(STOREFRONT_PAGES.deepProduct, { id: product() });
  };
}
