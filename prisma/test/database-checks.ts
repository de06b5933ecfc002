import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_NAMES, type Database, type DatabaseName } from '@tessera/prisma';
import { Prisma, PrismaClient } from '@tessera/prisma/users';
import { committedMigrations } from './committed-migrations.ts';

/** Opens a fresh, empty database of the given name (each call a new one). */
export type OpenFresh = (name: DatabaseName) => Promise<Database>;

/**
 * The contract every kind of database must keep, registered as tests: migrations apply once
 * (`init` first in each database) and are idempotent, and the generated client works on the adapter.
 */
export function describeDatabaseContract(openFresh: OpenFresh): void {
  describe.each(DATABASE_NAMES)('%s database', (name) => {
    let database: Database;
    beforeAll(async () => {
      database = await openFresh(name);
    }, 30_000);
    afterAll(async () => {
      await database?.close();
    });

    it('applies its committed migrations, init first, then nothing on the next call; pendingMigrations() lists them until then', async () => {
      expect(await database.pendingMigrations()).toEqual(committedMigrations(name));
      const applied = await database.migrate();
      expect(applied).toEqual(committedMigrations(name));
      expect(applied[0]).toMatch(/^\d{14}_init$/);
      expect(await database.migrate()).toEqual([]);
      expect(await database.pendingMigrations()).toEqual([]);
    });

    it('answers ping()', async () => {
      await expect(database.ping()).resolves.toBeUndefined();
    });
  });

  describe('generated client on the adapter', () => {
    let database: Database;
    let prisma: PrismaClient;
    beforeAll(async () => {
      database = await openFresh('users');
      await database.migrate();
      prisma = new PrismaClient({ adapter: database.adapter });
    }, 30_000);
    afterAll(async () => {
      await prisma?.$disconnect();
      await database?.close();
    });

    it('creates and finds a row', async () => {
      const created = await prisma.user.create({ data: { username: 'ada', name: 'Ada Lovelace', email: 'ada@example.com' } });
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await prisma.user.findUnique({ where: { username: 'ada' } })).toEqual(created);
    });

    it('reports a unique violation as P2002', async () => {
      const duplicate = prisma.user.create({ data: { username: 'ada', name: 'Another Ada', email: 'other@example.com' } });
      await expect(duplicate).rejects.toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
      await expect(duplicate).rejects.toMatchObject({ code: 'P2002' });
    });

    it('runs interactive transactions', async () => {
      await prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { username: 'grace', name: 'Grace Hopper', email: 'grace@example.com' } });
        expect(await tx.user.count()).toBe(2);
      });
      expect(await prisma.user.count()).toBe(2);
    });
  });
}
