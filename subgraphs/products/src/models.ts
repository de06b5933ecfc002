import type { Product } from '@tessera/prisma/products';
import type { Connection } from '@tessera/subgraph-kit';

/** A `Product` as resolvers pass it around: the database row (`price` is derived from two columns). */
export type ProductModel = Product;
export type ProductConnectionModel = Connection<ProductModel>;
