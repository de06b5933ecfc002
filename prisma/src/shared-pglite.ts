import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.ts';

/** A PGlite instance handed out by `acquirePGlite`; `release()` once per acquisition. */
export interface SharedPGlite {
  db: PGlite;
  /** Runs `task` when no other task of this instance runs (migrations must not interleave). */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /** Gives the instance back; the last release closes it, which writes everything to disk. */
  release(): Promise<void>;
}

interface Entry {
  started: Promise<Started>;
  users: number;
  queue: Promise<unknown>;
}

/**
 * Open instances by absolute data directory. PGlite is a whole PostgreSQL server in this
 * process, and two of them on one directory would corrupt it, so everything in the process
 * that uses the directory shares one.
 */
const open = new Map<string, Entry>();
/** Instances being closed, so that reopening the directory waits for the files to be released. */
const closing = new Map<string, Promise<void>>();

/**
 * The PGlite instance of a data directory, started on first use. `memory://` gives a new
 * in-memory database every time (never shared: tests rely on a fresh one).
 */
export async function acquirePGlite(dataDir: string): Promise<SharedPGlite> {
  const key = dataDir.startsWith('memory://') ? undefined : resolve(dataDir);
  let entry = key === undefined ? undefined : open.get(key);
  if (!entry) {
    const previous = (key !== undefined && closing.get(key)) || Promise.resolve();
    entry = { started: previous.then(() => startPGlite(key ?? dataDir)), users: 0, queue: Promise.resolve() };
    if (key !== undefined) open.set(key, entry);
  }
  entry.users += 1;
  const started = await entry.started.catch((error: unknown) => {
    if (key !== undefined && open.get(key) === entry) open.delete(key);
    throw error;
  });
  return handle(entry, key, started);
}

interface Started {
  db: PGlite;
  /** Closes the instance and gives its directory back to other processes. */
  stop: () => Promise<void>;
}

async function startPGlite(dataDir: string): Promise<Started> {
  if (dataDir.startsWith('memory://')) {
    const db = await PGlite.create(dataDir);
    return { db, stop: () => db.close() };
  }
  await mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  try {
    const db = await PGlite.create(dataDir);
    return {
      db,
      stop: async () => {
        await db.close();
        await unlock();
      },
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}

function handle(entry: Entry, key: string | undefined, { db, stop }: Started): SharedPGlite {
  let released = false;
  return {
    db,
    exclusive(task) {
      const run = entry.queue.then(task, task);
      entry.queue = run.catch(() => {});
      return run;
    },
    async release() {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users > 0) return;
      if (key === undefined) return stop();
      open.delete(key);
      const closed = stop();
      closing.set(key, closed);
      try {
        await closed;
      } finally {
        if (closing.get(key) === closed) closing.delete(key);
      }
    },
  };
}
