import { readFileSync } from 'node:fs';
import { processTree } from '@tessera/test-helpers';
import { rssBytes } from '../processes.js';

const TICKS_PER_SECOND = 100;

/** User plus system CPU seconds of one process (fields 14 and 15 of /proc/<pid>/stat); 0 once it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A gateway's process and any it started (Hive's `--fork` workers): CPU used so far and resident memory now. */
export interface ProcessGauge {
  cpuSeconds(): number;
  rssBytes(): number;
  /** Files it may have open (its `RLIMIT_NOFILE`), from /proc/<pid>/limits. */
  openFilesLimit(): number;
}

export function processGauge(pid: number): ProcessGauge {
  return {
    cpuSeconds: () => processTree(pid).reduce((sum, p) => sum + cpuSecondsOf(p), 0),
    rssBytes: () => processTree(pid).reduce((sum, p) => sum + rssBytes(p), 0),
    openFilesLimit: () => Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1] ?? Infinity),
  };
}
