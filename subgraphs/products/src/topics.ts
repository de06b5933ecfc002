import { badUserInput, canonicalId, isUuid } from '@tessera/service-kit';
import type { TopicEvent } from '@tessera/subgraph-kit';
import type { ProductModel } from './models.js';

/**
 * The topic of one product's changes (`productUpdated:<id>`): each event is the product as an
 * `updateProduct` committed it. An id that is not a UUID names no product, so no topic either.
 */
export function productUpdatedTopic(productId: string): string {
  const id = canonicalId(productId);
  if (!isUuid(id)) throw badUserInput(`No product with id "${productId}".`, 'id');
  return `productUpdated:${id}`;
}

/** A product as its event carries it: the row, as JSON (its date as text). */
type ProductPayload = Omit<ProductModel, 'createdAt'> & { createdAt: string };

/** The product an event of {@link productUpdatedTopic} carries, as the `Product` resolvers take it. */
export function productOf(event: TopicEvent): ProductModel {
  const product = event.payload as ProductPayload;
  return { ...product, createdAt: new Date(product.createdAt) };
}
