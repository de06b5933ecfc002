import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link waitUntil}. */
export interface WaitUntilOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Time between two looks. @default 100 */
  intervalMs?: number;
  /** What is awaited, for the timeout's message ("Redis to stop"). */
  what: string;
}

/**
 * Resolves once `condition()` is true, looking every `intervalMs`; rejects after `timeoutMs`,
 * or at once when `condition` throws (e.g. the awaited process died). The helpers serve the
 * benchmarks too, which run outside vitest: tests themselves use `vi.waitFor` / `expect.poll`.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 100, what }: WaitUntilOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
