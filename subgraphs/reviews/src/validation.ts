import { badUserInput } from '@tessera/service-kit';
import { canonicalId, isUuid } from '@tessera/subgraph-kit';
import type { CreateReviewInput } from './generated/resolvers-types.js';

/**
 * Checks `createReview`'s input; throws BAD_USER_INPUT naming the field. Whether the
 * product and author exist is the other subgraphs' knowledge (separate databases), so
 * here ids are only checked for form (and stored in canonical case).
 */
export function validateCreateReview(input: CreateReviewInput): CreateReviewInput {
  const body = input.body.trim();
  if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) {
    throw badUserInput('Rating must be a whole number from 1 to 5.', 'input.rating');
  }
  if (body.length < 1 || body.length > 5_000) throw badUserInput('Body must be 1–5,000 characters.', 'input.body');
  if (!isUuid(input.productId)) throw badUserInput('productId is not a product id.', 'input.productId');
  if (!isUuid(input.authorId)) throw badUserInput('authorId is not a user id.', 'input.authorId');
  return { ...input, body, productId: canonicalId(input.productId), authorId: canonicalId(input.authorId) };
}
