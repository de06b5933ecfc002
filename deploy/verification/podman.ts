/**
 * Podman from the deployment tests: the project's settings (deploy/containers/containers.conf,
 * as CONTAINERS_CONF), whether an engine runs on this machine at all, the real config of an image
 * as `podman image inspect` reports it, and containers started, checked and stopped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import type { ImageConfig } from './image-rehearsal.js';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** The environment podman runs in: the project's containers.conf unless one is named already. */
export function podmanEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(repoRoot, 'deploy/containers/containers.conf') };
}

/** Whether podman is installed and answers `podman info` with the project's settings (no engine: the callers fall back). */
export function podmanWorks(): boolean {
  const info = spawnSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], {
    env: podmanEnv(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return info.status === 0;
}

/** What a command printed, and how it ended. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` (podman, or a project script) to its end, with podman's environment; never throws on a non-zero exit. */
export async function run(command: string, args: string[], { timeoutMs = 120_000, cwd = repoRoot } = {}): Promise<Ran> {
  const child = spawn(command, args, { env: podmanEnv(), cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-50_000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** `podman …`, failing with its output when it fails. */
export async function podman(args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
  const ran = await run('podman', args, options);
  if (ran.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${ran.code}:\n${ran.stderr}${ran.stdout}`);
  return ran.stdout;
}

/** An image's config as the engine stores it, and its size. */
export interface InspectedImage extends ImageConfig {
  name: string;
  sizeBytes: number;
  /** The HEALTHCHECK's timings, in seconds. */
  healthTimings?: { intervalSeconds: number; timeoutSeconds: number; startPeriodSeconds: number; retries: number };
}

interface InspectJson {
  Size: number;
  Config: {
    User?: string;
    Entrypoint?: string[];
    Cmd?: string[];
    Env?: string[];
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown>;
  };
  Healthcheck?: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number };
}

/** `podman image inspect`, as the config a container of the image runs with. */
export async function inspectImage(name: string): Promise<InspectedImage> {
  const [image] = JSON.parse(await podman(['image', 'inspect', name])) as InspectJson[];
  const { Config: config, Healthcheck: health } = image!;
  const test = health?.Test;
  return {
    name,
    sizeBytes: image!.Size,
    env: Object.fromEntries((config.Env ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])),
    workdir: config.WorkingDir ?? '/',
    user: config.User ?? '',
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    healthcheck: test?.[0] === 'CMD' ? test.slice(1) : test?.[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test[1]!] : undefined,
    exposed: Object.keys(config.ExposedPorts ?? {})
      .map((port) => Number.parseInt(port, 10))
      .sort((a, b) => a - b),
    ...(health && {
      healthTimings: {
        intervalSeconds: health.Interval / 1e9,
        timeoutSeconds: health.Timeout / 1e9,
        startPeriodSeconds: health.StartPeriod / 1e9,
        retries: health.Retries,
      },
    }),
  };
}

/** How the tests run a service's container: as production would, read-only, with no capabilities, on the host's network (the test PostgreSQL and Redis listen on loopback). */
export const HARDENED = ['--network', 'host', '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

/** A container started in the background. */
export interface Container {
  name: string;
  /** Its exit code once it has exited. */
  exited(): Promise<number>;
  /** `podman stop` (SIGTERM, then SIGKILL after `seconds`): its exit code. */
  stop(seconds?: number): Promise<number>;
  /** `podman healthcheck run`: 0 healthy, 1 not. */
  healthcheck(): Promise<number>;
  signal(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void>;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

/** `podman run -d` of `image` with `env`, hardened, under a unique name; `command` after the image's entrypoint. */
export async function startContainer(
  image: string,
  { name, env, command = [], extra = [] }: { name: string; env: Record<string, string>; command?: string[]; extra?: string[] },
): Promise<Container> {
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  await podman(['run', '--detach', '--name', name, ...HARDENED, ...extra, ...envArgs, image, ...command]);
  const exitCode = async () => Number((await podman(['inspect', '--format', '{{.State.ExitCode}}', name])).trim());
  return {
    name,
    async exited() {
      await podman(['wait', name], { timeoutMs: 300_000 });
      return exitCode();
    },
    async stop(seconds = 20) {
      await podman(['stop', '--time', String(seconds), name], { timeoutMs: (seconds + 30) * 1000 });
      return exitCode();
    },
    async healthcheck() {
      return (await run('podman', ['healthcheck', 'run', name], { timeoutMs: 60_000 })).code ?? -1;
    },
    async signal(signal) {
      await podman(['kill', '--signal', signal, name]);
    },
    async logs() {
      const ran = await run('podman', ['logs', name]);
      return ran.stdout + ran.stderr;
    },
    async remove() {
      await run('podman', ['rm', '--force', '--time', '0', name]);
    },
  };
}
