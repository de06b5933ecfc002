import { readdirSync } from 'node:fs';
import type { DatabaseName } from '../src/index.ts';

/** The names of a database's committed migrations, in the order they apply. */
export function committedMigrations(name: DatabaseName): string[] {
  const dir = new URL(`../${name}/migrations/`, import.meta.url);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d{14}_/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}
