import { fakerFor, insertSeedRows, seededCreatedAt, seededId, type SeedSizes } from '@tessera/seed-data';
import type { Logger } from '@tessera/service-kit';
import type { ReviewsDb } from './db.js';

/** Ratings lean positive, as real reviews do. */
const RATING_WEIGHTS = [
  { value: 1, weight: 1 },
  { value: 2, weight: 1 },
  { value: 3, weight: 2 },
  { value: 4, weight: 4 },
  { value: 5, weight: 5 },
];

/**
 * The `index`-th demo review. Its author and product are seeded users and products,
 * named by their deterministic ids, so no other database is read.
 */
function seededReview(index: number, sizes: SeedSizes) {
  const faker = fakerFor('review', index, sizes.seed);
  return {
    id: seededId('review', index, sizes.seed),
    rating: faker.helpers.weightedArrayElement(RATING_WEIGHTS),
    body: faker.lorem.sentences({ min: 1, max: 3 }),
    authorId: seededId('user', faker.number.int({ min: 0, max: sizes.users - 1 }), sizes.seed),
    productId: seededId('product', faker.number.int({ min: 0, max: sizes.products - 1 }), sizes.seed),
    createdAt: seededCreatedAt(index),
  };
}

/** Inserts the demo reviews in bulk; rows already there are left as they are. */
export async function seedReviews(db: ReviewsDb, sizes: SeedSizes, logger: Logger): Promise<void> {
  if (sizes.users === 0 || sizes.products === 0) {
    logger.warn('no seeded users or products to review: skipping review seed');
    return;
  }
  const inserted = await insertSeedRows(
    sizes.reviews,
    (index) => seededReview(index, sizes),
    (data) => db.review.createMany({ data, skipDuplicates: true }),
  );
  logger.info({ inserted, wanted: sizes.reviews }, 'seeded reviews');
}
