import { fakerFor, insertSeedRows, seededCreatedAt, seededId, type SeedSizes } from '@tessera/seed-data';
import type { Logger } from '@tessera/service-kit';
import type { ProductsDb } from './db.js';

/** The `index`-th demo product; the same index always gives the same product. */
function seededProduct(index: number, seed: number) {
  const faker = fakerFor('product', index, seed);
  return {
    id: seededId('product', index, seed),
    sku: `SKU-${String(index).padStart(6, '0')}`,
    name: faker.commerce.productName(),
    description: faker.commerce.productDescription(),
    priceAmount: faker.number.int({ min: 199, max: 99_999 }),
    priceCurrency: 'USD',
    inStock: faker.number.int({ min: 0, max: 9 }) > 0,
    unitsSold: faker.number.int({ min: 0, max: 50_000 }),
    createdAt: seededCreatedAt(index),
  };
}

/** Inserts the demo products in bulk; rows already there are left as they are. */
export async function seedProducts(db: ProductsDb, sizes: SeedSizes, logger: Logger): Promise<void> {
  const inserted = await insertSeedRows(
    sizes.products,
    (index) => seededProduct(index, sizes.seed),
    (data) => db.product.createMany({ data, skipDuplicates: true }),
  );
  logger.info({ inserted, wanted: sizes.products }, 'seeded products');
}
