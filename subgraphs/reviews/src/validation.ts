import { badUserInput } from '@tessera/service-kit';
import { canonicalId, characters, isUuid } from '@tessera/subgraph-kit';
import type { CreateReviewInput, UpdateReviewInput } from './generated/resolvers-types.js';

/** The row fields of a valid new review. */
export interface NewReview {
  productId: string;
  authorId: string;
  rating: number;
  body: string;
}

/**
 * Checks `createReview`'s input, the author already settled (the signed-in caller); throws
 * BAD_USER_INPUT naming the field. Ids are checked for form here and stored in canonical case;
 * whether they exist is for their owning subgraphs to say (separate databases).
 */
export function validateCreateReview(input: CreateReviewInput & { authorId: string }): NewReview {
  const body = input.body.trim();
  if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) {
    throw badUserInput('Rating must be a whole number from 1 to 5.', 'input.rating');
  }
  if (characters(body) < 1 || characters(body) > 5_000) throw badUserInput('Body must be 1–5,000 characters.', 'input.body');
  if (!isUuid(input.productId)) throw badUserInput('productId is not a product id.', 'input.productId');
  if (!isUuid(input.authorId)) throw badUserInput('authorId is not a user id.', 'input.authorId');
  return { productId: canonicalId(input.productId), authorId: canonicalId(input.authorId), rating: input.rating, body };
}

/** Checks and normalises `updateReview`'s input by the same rules as a new review's; throws BAD_USER_INPUT naming the field. */
export function validateUpdateReview(input: UpdateReviewInput): { rating?: number; body?: string } {
  const changes: { rating?: number; body?: string } = {};
  if (input.rating !== undefined && input.rating !== null) {
    if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5)
      throw badUserInput('Rating must be a whole number from 1 to 5.', 'input.rating');
    changes.rating = input.rating;
  }
  if (input.body !== undefined && input.body !== null) {
    const body = input.body.trim();
    if (characters(body) < 1 || characters(body) > 5_000) throw badUserInput('Body must be 1–5,000 characters.', 'input.body');
    changes.body = body;
  }
  if (Object.keys(changes).length === 0) throw badUserInput('Give at least one field to change.', 'input');
  return changes;
}
