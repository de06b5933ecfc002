/** runMain and onShutdownSignal, in a real child process: exit codes and what they log. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const node = resolve(import.meta.dirname, '../../../node_modules/.bin/node');
const fixture = resolve(import.meta.dirname, 'fixtures/service-process.ts');

function start(env: Record<string, string>) {
  const child = spawn(node, ['--import', 'tsx', fixture], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const listening = () => vi.waitFor(() => expect(output).toContain('listening'), { timeout: 20_000 });
  return { child, exited, listening, output: () => output };
}

describe('runMain', () => {
  it('prints a configuration error without a stack and exits 1', async () => {
    const run = start({ MODE: 'config-error' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('PORT: expected a TCP port number');
    expect(run.output()).not.toMatch(/\n\s+at /);
  });

  it('prints any other error in full and exits 1', async () => {
    const run = start({ MODE: 'crash' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/Error: boom\n\s+at /);
  });
});

describe('onShutdownSignal', { timeout: 30_000 }, () => {
  it('drains on SIGTERM and exits 0', async () => {
    const run = start({ SHUTDOWN_MS: '100' });
    await run.listening();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('shutting down: draining in-flight requests');
    expect(run.output()).toContain('"msg":"stopped"');
  });

  it('exits 1 at once on a second signal', async () => {
    const run = start({ SHUTDOWN_MS: '20000' });
    await run.listening();
    run.child.kill('SIGINT');
    await vi.waitFor(() => expect(run.output()).toContain('shutting down'));
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('second signal: exiting now');
  });

  it('exits 1 when shutting down takes longer than allowed, or fails', async () => {
    const slow = start({ SHUTDOWN_MS: '20000', TIMEOUT_MS: '200' });
    await slow.listening();
    slow.child.kill('SIGTERM');
    expect(await slow.exited).toBe(1);
    expect(slow.output()).toContain('shutdown timed out: exiting');

    const failing = start({ SHUTDOWN_FAILS: '1' });
    await failing.listening();
    failing.child.kill('SIGTERM');
    expect(await failing.exited).toBe(1);
    expect(failing.output()).toContain('pool would not close');
  });
});
