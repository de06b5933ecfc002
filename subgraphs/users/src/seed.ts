import { fakerFor, insertSeedRows, seededCreatedAt, seededId, type SeedSizes } from '@tessera/seed-data';
import type { Logger } from '@tessera/service-kit';
import type { UsersDb } from './db.js';

/** The `index`-th demo user; the same index always gives the same user. */
function seededUser(index: number, seed: number) {
  const faker = fakerFor('user', index, seed);
  const first = faker.person.firstName();
  const last = faker.person.lastName();
  const handle = `${first}.${last}`
    .toLowerCase()
    .replace(/[^a-z0-9_.]/g, '')
    .slice(0, 24);
  // The index suffix keeps usernames and emails unique however often Faker repeats a name.
  const username = `${handle}_${index}`;
  return {
    id: seededId('user', index, seed),
    username,
    name: `${first} ${last}`,
    email: `${username}@example.com`,
    createdAt: seededCreatedAt(index),
  };
}

/** Inserts the demo users in bulk; rows already there are left as they are. */
export async function seedUsers(db: UsersDb, sizes: SeedSizes, logger: Logger): Promise<void> {
  const inserted = await insertSeedRows(
    sizes.users,
    (index) => seededUser(index, sizes.seed),
    (data) => db.user.createMany({ data, skipDuplicates: true }),
  );
  logger.info({ inserted, wanted: sizes.users }, 'seeded users');
}
