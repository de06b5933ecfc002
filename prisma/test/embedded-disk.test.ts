import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@tessera/prisma';
import { PrismaClient } from '@tessera/prisma/products';
import { committedMigrations } from './committed-migrations.ts';

describe('embedded PGlite on disk', { timeout: 30_000 }, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'tessera-prisma-')), 'products');
  });
  afterAll(async () => {
    await rm(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('keeps rows and applied migrations across close() and reopen', async () => {
    const first = await openDatabase({ name: 'products', dataDir });
    expect(await first.migrate()).toEqual(committedMigrations('products'));
    const writer = new PrismaClient({ adapter: first.adapter });
    await writer.product.create({ data: { sku: 'BOOK-1', name: 'A book', priceAmount: 1250, priceCurrency: 'EUR' } });
    await writer.$disconnect();
    await first.close();

    const reopened = await openDatabase({ name: 'products', dataDir });
    try {
      expect(await reopened.migrate()).toEqual([]);
      const reader = new PrismaClient({ adapter: reopened.adapter });
      expect(await reader.product.findUnique({ where: { sku: 'BOOK-1' } })).toMatchObject({ name: 'A book', priceAmount: 1250 });
      await reader.$disconnect();
    } finally {
      await reopened.close();
    }
  });

  it('shares one instance per directory until the last close()', async () => {
    const first = await openDatabase({ name: 'products', dataDir });
    const second = await openDatabase({ name: 'products', dataDir });
    await first.close();
    await expect(second.ping()).resolves.toBeUndefined();
    await second.close();
    await expect(second.ping()).rejects.toThrow();
  });

  it('refuses a directory another live process holds, and takes over a stale lock', async () => {
    const lockPath = `${dataDir}.lock`;
    await writeFile(lockPath, `${process.ppid}\n`);
    await expect(openDatabase({ name: 'products', dataDir })).rejects.toThrow(`in use by process ${process.ppid}`);

    const exited = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(lockPath, `${exited}\n`);
    const database = await openDatabase({ name: 'products', dataDir });
    expect(await readFile(lockPath, 'utf8')).toBe(`${process.pid}\n`);
    await database.close();
    await expect(readFile(lockPath, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
