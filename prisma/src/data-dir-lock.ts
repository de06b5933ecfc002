import { readFile, unlink, writeFile } from 'node:fs/promises';

/**
 * Claims an embedded database's data directory for this process, through a `<dataDir>.lock`
 * file holding our pid. PGlite itself takes no lock, and two processes on one directory
 * (say, `pnpm seed` while the services run) would corrupt it. A lock left by a process that
 * no longer exists is taken over.
 *
 * @returns a function that gives the directory back
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = `${dataDir}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lockPath, `${process.pid}\n`, { flag: 'wx' });
      return () => unlink(lockPath).catch(() => {});
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (isRunning(owner)) {
      throw new Error(
        `Embedded database ${dataDir} is in use by process ${owner}. Stop that process first ` +
          `(or delete ${lockPath} if no such process uses it).`,
      );
    }
    await unlink(lockPath).catch(() => {});
  }
}

/** Whether another live process has this pid (our own pid here means a lock from a previous run). */
function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
