import { describe, expect, it } from 'vitest';
import { DATABASE_NAMES } from '@tessera/prisma';
import { createMigration, pendingMigrationScript } from '../src/create-migration.ts';

describe('creating migrations', { timeout: 30_000 }, () => {
  // Also the guard against a schema.prisma changed without its migration.
  it.each(DATABASE_NAMES)('finds no change between %s/schema.prisma and its committed migrations', async (name) => {
    expect(await pendingMigrationScript(name)).toBeNull();
  });

  it('rejects a label that is not snake_case, naming it', async () => {
    await expect(createMigration({ name: 'users', label: 'Add User' })).rejects.toThrow(/"Add User".*snake_case/);
  });
});
