import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One service `pnpm dev` runs: its name (the prefix of its lines), entry point and colour. */
export interface DevService {
  name: string;
  entry: string;
  /** An ANSI colour code for its prefix (34 blue, 35 magenta, 32 green, 36 cyan). */
  color: number;
}

/** The services running, and how they end. */
export interface RunningServices {
  /** Asks every service to stop (each drains and exits on its own); resolves once all have exited. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** Resolves with the first service to exit on its own (a crash), if one does before `stop`. */
  crashed: Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts each service as `node --import tsx <entry>`, its lines prefixed with its name. Each runs
 * in a process group of its own, so that Ctrl-C in the terminal reaches `pnpm dev` alone, which
 * then asks each service once to stop: a service told twice would take the second signal as
 * "exit now" and skip its drain.
 */
export function runServices(services: DevService[], { cwd, env }: { cwd: string; env: NodeJS.ProcessEnv }): RunningServices {
  const colour = process.stdout.isTTY && !process.env.NO_COLOR;
  const children = services.map((service) => {
    const child = spawn(process.execPath, ['--import', 'tsx', service.entry], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = colour ? `\x1b[${service.color}m[${service.name}]\x1b[0m ` : `[${service.name}] `;
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => console.log(prefix + line));
    return { service, child, exited: new Promise<ChildProcess>((resolve) => child.once('exit', () => resolve(child))) };
  });
  let stopping = false;
  // If `pnpm dev` itself goes (an error, a signal it does not handle), the services go with it.
  process.once('exit', () => children.forEach(({ child }) => child.exitCode === null && child.kill('SIGTERM')));
  return {
    async stop(signal) {
      stopping = true;
      for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await Promise.all(children.map(({ exited }) => exited));
    },
    crashed: Promise.race(
      children.map(async ({ service, exited }) => {
        const child = await exited;
        if (stopping) return new Promise<never>(() => {});
        return { name: service.name, code: child.exitCode, signal: child.signalCode };
      }),
    ),
  };
}
