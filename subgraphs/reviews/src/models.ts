import type { Review } from '@tessera/prisma/reviews';
import type { Connection } from '@tessera/subgraph-kit';

/** A `Review` as resolvers pass it around: the database row. */
export type ReviewModel = Review;
export type ReviewConnectionModel = Connection<ReviewModel>;
/** A user owned by the users subgraph: the reviews subgraph only knows its id. */
export interface UserRef {
  id: string;
}
/** A product owned by the products subgraph: the reviews subgraph only knows its id. */
export interface ProductRef {
  id: string;
}
