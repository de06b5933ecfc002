import { badUserInput, canonicalId, isUuid } from '@tessera/service-kit';
import type { TopicEvent } from '@tessera/subgraph-kit';
import type { ReviewModel } from './models.js';

/**
 * The topic of the reviews written for one product (`reviewAdded:<productId>`): each event is a
 * committed review. A product id that is not a UUID names no product, so no topic either.
 */
export function reviewAddedTopic(productId: string): string {
  const id = canonicalId(productId);
  if (!isUuid(id)) throw badUserInput(`No product with id "${productId}".`, 'productId');
  return `reviewAdded:${id}`;
}

/** A review as its event carries it: the row, as JSON (its date as text). */
type ReviewPayload = Omit<ReviewModel, 'createdAt'> & { createdAt: string };

/** The committed review an event of {@link reviewAddedTopic} carries, as the `Review` resolvers take it. */
export function reviewOf(event: TopicEvent): ReviewModel {
  const review = event.payload as ReviewPayload;
  return { ...review, createdAt: new Date(review.createdAt) };
}
