import { Faker, en } from '@faker-js/faker';

/**
 * A Faker seeded from (kind, index, seed): row `index` gets the same values whatever
 * the total size or the order rows are generated in.
 */
export function fakerFor(kind: string, index: number, seed: number): Faker {
  const faker = new Faker({ locale: [en] });
  faker.seed([seed, index, hashString(kind)]);
  return faker;
}

function hashString(value: string): number {
  let hash = 2166136261;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 16777619);
  return hash >>> 0;
}
