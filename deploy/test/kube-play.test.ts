/**
 * deploy/k8s played for real with `podman kube play`, wherever podman runs (CI included): the base
 * kustomization rendered by kubectl, turned into the test overlay by kube-play.ts (pods on the
 * host's network, the environment resolved inline, probes as the images' health command), the
 * migration pods run to completion first, then the four service pods — security contexts and
 * limits applied as rendered — pass their probes, answer a federated query and stop gracefully.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubgraphDatabases, getFreePort, requireEnv, TEST_AUTH_ENV, waitUntil, type SubgraphDatabases } from '@tessera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFederatedAnswer } from './support/federated-query.js';
import { SERVICES, SUBGRAPHS, type Service } from './support/services.js';
import { renderKustomization } from '../verification/k8s-manifests.js';
import { kubePlayOverlay, toYaml, type KubePlayOverlay } from '../verification/kube-play.js';
import { podman, podmanWorks, repoRoot, run } from '../verification/podman.js';

describe.runIf(podmanWorks())('podman kube play of deploy/k8s', () => {
  const ports = {} as Record<Service, { http: number; metrics: number }>;
  let dbs: SubgraphDatabases;
  let dir: string;
  let overlay: KubePlayOverlay;
  const files = { migrations: '', services: '' };

  beforeAll(async () => {
    const built = await run('bash', ['deploy/scripts/image-build.sh'], { timeoutMs: 20 * 60_000 });
    expect(built.code, built.stderr + built.stdout).toBe(0);
    dbs = await createSubgraphDatabases('kubeplay');
    for (const service of SERVICES) ports[service] = { http: await getFreePort(), metrics: await getFreePort() };
    const urls = Object.fromEntries(SUBGRAPHS.map((s) => [`SUBGRAPH_${s.toUpperCase()}_URL`, `http://127.0.0.1:${ports[s].http}/graphql`]));
    // Where this machine's PostgreSQL, Redis and services are, the test secrets, and demo data to query.
    const overrides = (name: string): Record<string, string> => {
      const service = name.replace(/-migrate$/, '') as Service;
      const upper = service.toUpperCase();
      const database =
        service === 'gateway'
          ? {}
          : {
              [`${upper}_DATABASE_URL`]: dbs.env[`${upper}_DATABASE_URL`]!,
              [`${upper}_DATABASE_MIGRATION_URL`]: dbs.env[`${upper}_DATABASE_URL`]!,
              // The test server has no streaming replica: every read on the primary (replicas: test/replicas.test.ts).
              [`${upper}_DATABASE_REPLICA_URLS`]: '',
            };
      return {
        ...TEST_AUTH_ENV,
        REDIS_URL: requireEnv('TEST_REDIS_URL'),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        [`${upper}_PORT`]: String(ports[service].http),
        [`${upper}_METRICS_PORT`]: String(ports[service].metrics),
        ...(service === 'gateway' ? urls : { ...database, SEED_ON_EMPTY: 'true', SEED_USERS: '5', SEED_PRODUCTS: '3', SEED_REVIEWS: '10' }),
        ...(service === 'reviews' && { SUBGRAPH_USERS_URL: urls.SUBGRAPH_USERS_URL!, SUBGRAPH_PRODUCTS_URL: urls.SUBGRAPH_PRODUCTS_URL! }),
        // One pod each here: no load balancer to keep answering for.
        SHUTDOWN_DELAY_MS: '0',
      };
    };
    overlay = kubePlayOverlay(await renderKustomization(join(repoRoot, 'deploy/k8s/base')), { imageTag: 'local', overrides });
    dir = await mkdtemp(join(tmpdir(), 'tessera-kube-play-'));
    files.migrations = join(dir, 'migrations.yaml');
    files.services = join(dir, 'services.yaml');
    await writeFile(files.migrations, toYaml(overlay.migrations));
    await writeFile(files.services, toYaml(overlay.services));
  }, 25 * 60_000);

  afterAll(async () => {
    for (const file of [files.services, files.migrations]) if (file) await run('podman', ['kube', 'down', file]);
    await dbs?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plays every workload of the base: a migration pod per subgraph and a pod per service', () => {
    expect(overlay.migrations.map((pod) => pod.metadata.name).sort()).toEqual(['products-migrate', 'reviews-migrate', 'users-migrate']);
    expect(overlay.services.map((pod) => pod.metadata.name).sort()).toEqual(['gateway', 'products', 'reviews', 'users']);
  });

  it('runs the migration pods to completion: exit 0', async () => {
    await podman(['kube', 'play', '--replace', files.migrations], { timeoutMs: 120_000 });
    for (const subgraph of SUBGRAPHS) {
      const container = `${subgraph}-migrate-migrate`;
      await podman(['wait', container], { timeoutMs: 180_000 });
      const code = (await podman(['inspect', '--format', '{{.State.ExitCode}}', container])).trim();
      expect(code, (await run('podman', ['logs', container])).stderr).toBe('0');
    }
  }, 240_000);

  it('runs the four service pods as rendered (non-root, read-only, no capabilities, limits), probes passing, and answers a federated query', async () => {
    await podman(['kube', 'play', '--replace', files.services], { timeoutMs: 120_000 });
    await waitUntil(
      async () => {
        const statuses = await Promise.all(
          SERVICES.map(async (service) => (await fetch(`http://127.0.0.1:${ports[service].http}/ready`).catch(() => undefined))?.status),
        );
        return statuses.every((status) => status === 200);
      },
      { timeoutMs: 180_000, intervalMs: 500, what: 'the four pods to be ready' },
    );
    for (const service of SERVICES) {
      const container = `${service}-${service}`;
      const [config] = JSON.parse(await podman(['inspect', container])) as Array<{
        Config: { User: string };
        HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[]; Memory: number; SecurityOpt: string[] };
      }>;
      expect(config!.Config.User).toBe('1000:1000');
      expect(config!.HostConfig.ReadonlyRootfs).toBe(true);
      expect(config!.HostConfig.Memory).toBeGreaterThan(0);
      expect(config!.HostConfig.SecurityOpt).toContain('no-new-privileges');
      expect((await run('podman', ['healthcheck', 'run', container])).code, `${service} liveness probe`).toBe(0);
    }
    await expectFederatedAnswer(ports.gateway.http);
  }, 300_000);

  it('stops every pod gracefully: each service exits 0 on SIGTERM', async () => {
    await podman(['pod', 'stop', '--time', '30', ...SERVICES], { timeoutMs: 120_000 });
    for (const service of SERVICES)
      expect((await podman(['inspect', '--format', '{{.State.ExitCode}}', `${service}-${service}`])).trim(), service).toBe('0');
  }, 150_000);
});
