/**
 * deploy/k8s/ without a cluster: the base and the production overlay rendered by `kubectl
 * kustomize` (kubectl 1.20's kustomize v2.0.3 is the oldest they are written for), every object
 * checked against its Kubernetes schema (kubernetes-models), then what a cluster would do with
 * them: probes, resources, security contexts, autoscaling and disruption budgets, the migration
 * Jobs, the NetworkPolicies evaluated for every pair of pods, and every variable each service
 * reads either set in its container's environment (ConfigMaps and Secrets resolved) or left at
 * its default on purpose (deploy/k8s/left-at-default.yaml) — and that environment accepted by
 * the service's own config loader, as at start-up. Without kubectl these tests fail, never skip.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GATEWAY_VARIABLES, loadConfig as loadGatewayConfig } from '@tessera/gateway';
import { loadSubgraphConfig, SUBGRAPH_VARIABLES } from '@tessera/subgraph-kit';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  connectionAllowed,
  containerEnvironment,
  describeObject,
  kubectlVersion,
  objectData,
  parseQuantity,
  renderKustomization,
  selectorMatches,
  validateObject,
  workloadPeers,
  workloads,
  type EnvEntry,
  type K8sObject,
  type NetworkPeer,
  type Workload,
} from '../verification/k8s-manifests.js';

const K8S = resolve(import.meta.dirname, '../k8s');
const SUBGRAPHS = [
  { name: 'users', port: 4001 },
  { name: 'products', port: 4002 },
  { name: 'reviews', port: 4003 },
] as const;
type Subgraph = (typeof SUBGRAPHS)[number]['name'];
const SERVICES = ['gateway', ...SUBGRAPHS.map((s) => s.name)] as const;
type Service = (typeof SERVICES)[number];
/** Who calls each subgraph: the gateway, and reviews (it asks users and products whether what a review points at exists). */
const CALLED_BY: Record<Subgraph, string[]> = { users: ['gateway', 'reviews'], products: ['gateway', 'reviews'], reviews: ['gateway'] };
/** The subgraphs each subgraph calls (SUBGRAPH_<NAME>_URL). */
const CALLS: Record<Subgraph, Subgraph[]> = { users: [], products: [], reviews: ['users', 'products'] };

/** The base is rendered without a namespace: it lands in whichever one it is applied to. */
const LAYOUTS = [
  { name: 'base', dir: join(K8S, 'base'), namespace: undefined, podNamespace: 'default' },
  { name: 'production', dir: join(K8S, 'overlays/production'), namespace: 'tessera', podNamespace: 'tessera' },
] as const;
type Layout = (typeof LAYOUTS)[number];

/** Each layout's objects, or why it did not render (kubectl missing, a kustomization it refuses): every test that needs them fails with that. */
const rendered = new Map<string, K8sObject[] | Error>();
beforeAll(async () => {
  const version = await kubectlVersion().catch((error: Error) => error);
  if (typeof version === 'string') console.info(`kubectl ${version}`);
  for (const layout of LAYOUTS) {
    rendered.set(layout.name, version instanceof Error ? version : await renderKustomization(layout.dir).catch((error: Error) => error));
  }
}, 120_000);

// --- What the services read, and what the manifests decided about it ---------------------

const prefixOf = (subgraph: string) => `${subgraph.toUpperCase()}_`;
const urlVariable = (subgraph: string) => `SUBGRAPH_${subgraph.toUpperCase()}_URL`;

/** Every variable a service must have a decision for: its schema's, and the subgraph URLs it calls. */
function variablesOf(service: Service): string[] {
  if (service === 'gateway') return [...GATEWAY_VARIABLES, ...SUBGRAPHS.map((s) => urlVariable(s.name))];
  return [
    ...SUBGRAPH_VARIABLES.shared,
    ...SUBGRAPH_VARIABLES.own.map((name) => prefixOf(service) + name),
    ...CALLS[service].map(urlVariable),
  ];
}

/** Whether `service` reads `name` at all (its schema, or the SUBGRAPH_<NAME>_URL / _TIMEOUT_MS patterns). */
function reads(service: Service, name: string): boolean {
  if (service === 'gateway') return GATEWAY_VARIABLES.includes(name) || /^SUBGRAPH_[A-Z0-9_]+_(URL|TIMEOUT_MS)$/.test(name);
  return (
    SUBGRAPH_VARIABLES.shared.includes(name) ||
    SUBGRAPH_VARIABLES.own.some((own) => prefixOf(service) + own === name) ||
    /^SUBGRAPH_[A-Z0-9_]+_URL$/.test(name)
  );
}

/** Credentials and token settings: set only from Secrets. */
function isSecretVariable(name: string): boolean {
  return /^(JWT_(SECRET|PUBLIC_KEY|JWKS_URL|ISSUER|AUDIENCE)|SUBGRAPH_SIGNING_KEYS|REDIS_URL|DEVELOPER_KEYS|[A-Z]+_DATABASE_(MIGRATION_)?URL)$/.test(
    name,
  );
}

/** deploy/k8s/left-at-default.yaml: variable → why it is left at the service's default (<NAME> = each subgraph's prefix). */
const leftAtDefault = parse(readFileSync(join(K8S, 'left-at-default.yaml'), 'utf8')) as {
  gateway: Record<string, string>;
  subgraphs: Record<string, string>;
};

/** The variables `service` leaves at their defaults, `<NAME>` expanded. */
function defaultsOf(service: Service): Map<string, string> {
  const entries = Object.entries(service === 'gateway' ? leftAtDefault.gateway : leftAtDefault.subgraphs);
  const names = service === 'gateway' ? SUBGRAPHS.map((s) => s.name) : [service];
  return new Map(
    entries.flatMap(([name, reason]) =>
      name.includes('<NAME>') ? names.map((n) => [name.replace('<NAME>', n.toUpperCase()), reason] as const) : [[name, reason] as const],
    ),
  );
}

// --- Finding things among the rendered objects --------------------------------------------

function objectsOf(layout: Layout): K8sObject[] {
  const objects = rendered.get(layout.name)!;
  if (objects instanceof Error) throw objects;
  return objects;
}
const ofKind = <T = K8sObject>(layout: Layout, kind: string) =>
  objectsOf(layout).filter((o) => o.kind === kind) as unknown as Array<T & K8sObject>;
function deployment(layout: Layout, service: Service): IDeployment & K8sObject {
  const found = ofKind<IDeployment>(layout, 'Deployment').filter((d) => d.metadata.name === service);
  expect(found, `one Deployment named ${service}`).toHaveLength(1);
  return found[0]!;
}
function mainContainer(d: IDeployment & K8sObject): IContainer {
  const container = d.spec?.template.spec?.containers.find((c) => c.name === d.metadata.name);
  expect(container, `${describeObject(d)} has a container named ${d.metadata.name}`).toBeDefined();
  return container!;
}
const environment = (layout: Layout, container: IContainer) => containerEnvironment(container, objectsOf(layout), layout.namespace);
const value = (env: Map<string, EnvEntry>, name: string) => (env.get(name)?.value ? env.get(name)!.value : undefined);
/** An environment's values; `CHANGE-ME` in a Secret's value replaced by a stand-in of the right length (as a real secret would be). */
const standIn = (env: Map<string, EnvEntry>) =>
  Object.fromEntries(
    [...env].map(([name, entry]) => [name, entry.from === 'Secret' ? entry.value.replaceAll('CHANGE-ME', 's'.repeat(40)) : entry.value]),
  );
const migrationJobs = (layout: Layout) =>
  workloads(objectsOf(layout)).filter(
    (w) => w.object.kind === 'Job' && w.template.spec?.containers.some((c) => JSON.stringify(c.args) === '["migrate"]'),
  );
function migrationJob(layout: Layout, subgraph: Subgraph): Workload {
  const jobs = migrationJobs(layout).filter((w) => w.template.spec!.containers.some((c) => imageName(c.image) === `tessera/${subgraph}`));
  expect(
    jobs.map((w) => describeObject(w.object)),
    `one migration Job on tessera/${subgraph}`,
  ).toHaveLength(1);
  return jobs[0]!;
}
const imageName = (image: string | undefined) => image?.replace(/[:@].*$/, '');
const imageTag = (image: string | undefined) => /:([^:/@]+)$/.exec(image ?? '')?.[1];

/** The container port a probe or a Service's targetPort names (by name or number). */
const portOf = (container: IContainer, port: string | number | undefined) =>
  container.ports?.find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));

/** What is wrong with a pod template's security settings (empty: nothing). */
function securityProblems({ template, object }: Workload): string[] {
  const problems: string[] = [];
  const spec = template.spec!;
  const pod = spec.securityContext ?? {};
  const where = describeObject(object);
  if (pod.runAsNonRoot !== true) problems.push(`${where}: pod runAsNonRoot`);
  if (pod.runAsUser !== 1000) problems.push(`${where}: pod runAsUser 1000 (the image's node user)`);
  if (pod.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: pod seccompProfile RuntimeDefault`);
  if (spec.automountServiceAccountToken !== false)
    problems.push(`${where}: automountServiceAccountToken false (no service calls the API server)`);
  // Service links would put USERS_PORT=tcp://…, GATEWAY_PORT=tcp://… (variables the services read) into every pod.
  if (spec.enableServiceLinks !== false) problems.push(`${where}: enableServiceLinks false`);
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    const c = container.securityContext ?? {};
    const at = `${where} container ${container.name}`;
    if (c.runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot`);
    if (c.runAsUser !== 1000) problems.push(`${at}: runAsUser 1000`);
    if (c.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem`);
    if (c.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation false`);
    if (c.privileged === true) problems.push(`${at}: not privileged`);
    if (JSON.stringify(c.capabilities?.drop) !== '["ALL"]' || (c.capabilities?.add ?? []).length > 0)
      problems.push(`${at}: capabilities drop [ALL], add none`);
    if (c.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${at}: seccompProfile RuntimeDefault`);
    const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
    if (!tmp || !spec.volumes?.some((v) => v.name === tmp.name && v.emptyDir))
      problems.push(`${at}: a writable /tmp (emptyDir) on the read-only root filesystem`);
    const limits = container.resources?.limits ?? {};
    const requests = container.resources?.requests ?? {};
    for (const resource of ['cpu', 'memory']) {
      if (requests[resource] === undefined || limits[resource] === undefined) problems.push(`${at}: requests and limits of ${resource}`);
      else if (parseQuantity(requests[resource]) > parseQuantity(limits[resource]))
        problems.push(`${at}: ${resource} request above its limit`);
    }
  }
  return problems;
}

describe.each(LAYOUTS)('deploy/k8s: $name', (layout) => {
  it('renders with kubectl kustomize, and every object is valid against its Kubernetes schema (an unknown kind fails)', () => {
    const objects = objectsOf(layout);
    const problems: string[] = [];
    for (const object of objects) {
      try {
        validateObject(object);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    expect(problems).toEqual([]);
    const kinds = (kind: string) =>
      objects
        .filter((o) => o.kind === kind)
        .map((o) => o.metadata.name)
        .sort();
    expect(kinds('Deployment')).toEqual([...SERVICES].sort());
    expect(kinds('Service')).toEqual([...SERVICES].sort());
    const names = objects.map(describeObject);
    expect(names.length, 'no object rendered twice').toBe(new Set(names).size);
  });

  it("labels every object app.kubernetes.io/part-of: tessera, and each service's objects app.kubernetes.io/name", () => {
    for (const object of objectsOf(layout))
      expect(object.metadata.labels?.['app.kubernetes.io/part-of'], describeObject(object)).toBe('tessera');
    for (const service of SERVICES) {
      for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
        const object = objectsOf(layout).find((o) => o.kind === kind && o.metadata.name === service);
        expect(object?.metadata.labels?.['app.kubernetes.io/name'], `${kind}/${service}`).toBe(service);
      }
      expect(deployment(layout, service).spec?.template.metadata?.labels?.['app.kubernetes.io/name']).toBe(service);
    }
  });

  it('puts every pod (Deployments and Jobs) under the security settings: non-root uid 1000, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp, requests and limits', () => {
    const all = workloads(objectsOf(layout));
    expect(all.length).toBe(SERVICES.length + SUBGRAPHS.length);
    expect(all.flatMap(securityProblems)).toEqual([]);
  });

  describe.each(SERVICES)('%s Deployment', (service) => {
    it('probes /health (startup, liveness) and /ready (readiness) on a port its container declares; named http and metrics ports', () => {
      const d = deployment(layout, service);
      const container = mainContainer(d);
      expect(portOf(container, 'http')?.containerPort).toBe(service === 'gateway' ? 4000 : SUBGRAPHS.find((s) => s.name === service)!.port);
      expect(portOf(container, 'metrics')?.containerPort).toBe(portOf(container, 'http')!.containerPort + 5400);
      const probes: Array<[string, IProbe | undefined, string]> = [
        ['startupProbe', container.startupProbe, '/health'],
        ['livenessProbe', container.livenessProbe, '/health'],
        ['readinessProbe', container.readinessProbe, '/ready'],
      ];
      for (const [kind, probe, path] of probes) {
        expect(probe?.httpGet?.path, `${service} ${kind}`).toBe(path);
        expect(
          portOf(container, probe!.httpGet!.port),
          `${service} ${kind}'s port ${probe!.httpGet!.port} is one of the container's`,
        ).toBeDefined();
        expect(portOf(container, probe!.httpGet!.port)!.name, `${service} ${kind} asks the API port, not metrics`).toBe('http');
      }
      // Start-up: the subgraphs connect to PostgreSQL and check migrations before they listen.
      const startup = container.startupProbe!;
      expect((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3), `${service} startupProbe window (s)`).toBeGreaterThanOrEqual(
        service === 'gateway' ? 30 : 120,
      );
    });

    it('is scraped by Prometheus on its metrics port; rolls without losing capacity; leaves the replica count to its HPA', () => {
      const d = deployment(layout, service);
      const annotations = d.spec?.template.metadata?.annotations ?? {};
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(annotations['prometheus.io/path']).toBe('/metrics');
      expect(Number(annotations['prometheus.io/port'])).toBe(portOf(mainContainer(d), 'metrics')?.containerPort);
      expect(d.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
      // A replicas field would reset the HPA's count on every apply.
      expect(d.spec?.replicas).toBeUndefined();
      expect(imageName(mainContainer(d).image)).toBe(`tessera/${service}`);
      expect(imageTag(mainContainer(d).image), `${service}'s image has a tag`).toBeTruthy();
    });

    it('has one autoscaling/v2 HPA on CPU utilisation and one PDB that allows a voluntary disruption while another pod serves', () => {
      const d = deployment(layout, service);
      const podLabels = d.spec!.template.metadata!.labels!;
      const hpas = ofKind<IHorizontalPodAutoscaler>(layout, 'HorizontalPodAutoscaler').filter(
        (h) => h.spec?.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === service,
      );
      expect(hpas).toHaveLength(1);
      const hpa = hpas[0]!;
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec?.scaleTargetRef.apiVersion).toBe('apps/v1');
      expect(
        hpa.spec?.metrics?.some(
          (m) =>
            m.type === 'Resource' &&
            m.resource?.name === 'cpu' &&
            m.resource.target.type === 'Utilization' &&
            (m.resource.target.averageUtilization ?? 0) > 0,
        ),
      ).toBe(true);
      const min = hpa.spec.minReplicas ?? 1;
      expect(min).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(min);

      const pdbs = ofKind<IPodDisruptionBudget>(layout, 'PodDisruptionBudget').filter((p) => selectorMatches(p.spec?.selector, podLabels));
      expect(pdbs.map(describeObject)).toHaveLength(1);
      const spec = pdbs[0]!.spec!;
      // At minReplicas: at least one pod may be evicted (a node drain proceeds), at least one stays.
      const maxUnavailable = spec.maxUnavailable !== undefined ? Number(spec.maxUnavailable) : min - Number(spec.minAvailable ?? 0);
      expect(typeof spec.maxUnavailable === 'string' || typeof spec.minAvailable === 'string', 'whole numbers, not percentages').toBe(
        false,
      );
      expect(maxUnavailable).toBeGreaterThanOrEqual(1);
      expect(min - maxUnavailable).toBeGreaterThanOrEqual(1);
      // The PDB counts this Deployment's pods only (not a migration Job's).
      for (const other of workloads(objectsOf(layout)).filter((w) => w.object !== d)) {
        expect(
          selectorMatches(pdbs[0]!.spec!.selector, other.template.metadata?.labels),
          `${describeObject(pdbs[0]!)} selects ${describeObject(other.object)}`,
        ).toBe(false);
      }
    });

    it('has a Service that selects its pods only, on the API port', () => {
      const d = deployment(layout, service);
      const svc = ofKind<IService>(layout, 'Service').find((s) => s.metadata.name === service)!;
      const selects = (w: Workload) => Object.entries(svc.spec?.selector ?? {}).every(([k, v]) => w.template.metadata?.labels?.[k] === v);
      expect(
        workloads(objectsOf(layout))
          .filter(selects)
          .map((w) => describeObject(w.object)),
      ).toEqual([describeObject(d)]);
      for (const port of svc.spec?.ports ?? [])
        expect(portOf(mainContainer(d), port.targetPort ?? port.port)?.name, `Service ${service} port ${port.port}`).toBe('http');
    });

    it('sets or deliberately leaves at its default every variable the service reads, and sets none it does not read', () => {
      const env = environment(layout, mainContainer(deployment(layout, service)));
      const defaults = defaultsOf(service);
      const undecided = variablesOf(service).filter((name) => value(env, name) === undefined && !defaults.has(name));
      expect(
        undecided,
        `set these in the ${service} container's environment, or list them with a reason in deploy/k8s/left-at-default.yaml`,
      ).toEqual([]);
      const setAnyway = [...defaults.keys()].filter((name) => value(env, name) !== undefined);
      expect(setAnyway, 'listed as left at default in deploy/k8s/left-at-default.yaml, but set').toEqual([]);
      expect(
        [...env.keys()].filter((name) => !reads(service, name)),
        `set, but not read by ${service} (misspelt?)`,
      ).toEqual([]);
    });

    it('takes credentials and token settings from Secrets only; the same signing keys as every other service', () => {
      const env = environment(layout, mainContainer(deployment(layout, service)));
      const required =
        service === 'gateway'
          ? ['SUBGRAPH_SIGNING_KEYS', 'JWT_ISSUER', 'JWT_AUDIENCE', 'REDIS_URL']
          : ['SUBGRAPH_SIGNING_KEYS', `${prefixOf(service)}DATABASE_URL`, `${prefixOf(service)}DATABASE_MIGRATION_URL`];
      for (const name of required) expect(env.get(name)?.from, `${service}: ${name} from a Secret`).toBe('Secret');
      if (service === 'gateway')
        expect(['JWT_SECRET', 'JWT_JWKS_URL', 'JWT_PUBLIC_KEY'].filter((name) => env.get(name)?.from === 'Secret')).toHaveLength(1);
      for (const [name, entry] of env)
        if (isSecretVariable(name)) expect(entry.from, `${service}: ${name} from a Secret, not a ${entry.from}`).toBe('Secret');
      const keys = SERVICES.map((s) => value(environment(layout, mainContainer(deployment(layout, s))), 'SUBGRAPH_SIGNING_KEYS'));
      expect(new Set(keys).size).toBe(1);
    });

    it("passes the service's own config loader, listening where the pod's ports, probes and annotations say; drains within the grace period", () => {
      const d = deployment(layout, service);
      const container = mainContainer(d);
      const env = standIn(environment(layout, container));
      const subgraph = SUBGRAPHS.find((s) => s.name === service);
      const config = subgraph ? loadSubgraphConfig({ name: subgraph.name, defaultPort: subgraph.port }, env) : loadGatewayConfig(env);
      expect(config.nodeEnv).toBe('production');
      expect(config.host).toBe('0.0.0.0');
      expect(config.port).toBe(portOf(container, 'http')!.containerPort);
      expect(config.metricsPort).toBe(portOf(container, 'metrics')!.containerPort);
      // Not ready, still serving, long enough for the readiness probe to notice; then 10 s at most to drain, within the grace period.
      const readiness = container.readinessProbe!;
      expect(config.shutdownDelayMs).toBeGreaterThanOrEqual((readiness.periodSeconds ?? 10) * (readiness.failureThreshold ?? 3) * 1000);
      expect((d.spec?.template.spec?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(config.shutdownDelayMs + 10_000);
      // Every subgraph URL it calls is a Service port that reaches that subgraph's API port.
      const urls = 'subgraphUrls' in config ? config.subgraphUrls : config.subgraphs.urls;
      const called = service === 'gateway' ? SUBGRAPHS.map((s) => s.name) : CALLS[service];
      expect(Object.keys(urls).sort()).toEqual([...called].sort());
      for (const target of called) {
        const url = new URL(urls[target]!);
        expect(url.pathname).toBe('/graphql');
        const svc = ofKind<IService>(layout, 'Service').find((s) => s.metadata.name === url.hostname);
        expect(svc?.metadata.name, `${service} calls ${target} at ${url.href}: a Service of that name`).toBe(target);
        const port = svc!.spec?.ports?.find((p) => p.port === Number(url.port));
        expect(
          portOf(mainContainer(deployment(layout, target)), port?.targetPort ?? port?.port)?.name,
          `${url.href} reaches the API port of ${target}`,
        ).toBe('http');
      }
      if ('database' in config) {
        expect(config.database.migrations, 'replicas verify; the migration Job applies').toBe('verify');
        expect(config.database.url).toBeDefined();
      } else {
        expect(config.introspection).toBe(false);
        expect(config.auth).toBeDefined();
        expect(config.redis?.url, 'Redis for persisted queries and the caches').toBeDefined();
      }
    });
  });

  describe.each(SUBGRAPHS)('$name migration Job', ({ name, port }) => {
    it("runs `migrate` on the subgraph's own image, with retries and a TTL, while the Deployment waits for it (DATABASE_MIGRATIONS=verify)", () => {
      const { object, template } = migrationJob(layout, name);
      const job = object as IJob & K8sObject;
      const [container] = template.spec!.containers;
      expect(template.spec!.containers).toHaveLength(1);
      expect(container!.args).toEqual(['migrate']);
      expect(container!.command, "the image's ENTRYPOINT, node … dist/main.js").toBeUndefined();
      expect(container!.image).toBe(mainContainer(deployment(layout, name)).image);
      expect(job.spec?.backoffLimit).toBeGreaterThanOrEqual(1);
      expect(job.spec?.ttlSecondsAfterFinished).toBeGreaterThan(0);
      expect(['Never', 'OnFailure']).toContain(template.spec?.restartPolicy);
      expect(migrationJobs(layout)).toHaveLength(SUBGRAPHS.length);
      expect(ofKind(layout, 'Job')).toHaveLength(SUBGRAPHS.length);

      expect(value(environment(layout, mainContainer(deployment(layout, name))), 'DATABASE_MIGRATIONS')).toBe('verify');
      const env = environment(layout, container!);
      expect(
        [...env.keys()].filter((variable) => !reads(name, variable)),
        'set, but not read (misspelt?)',
      ).toEqual([]);
      const config = loadSubgraphConfig({ name, defaultPort: port }, standIn(env));
      expect(config.database.url).toBeDefined();
      // The owner's credentials: only the Job has them.
      const migrationUrl = env.get(`${prefixOf(name)}DATABASE_MIGRATION_URL`);
      expect(migrationUrl?.from).toBe('Secret');
      for (const service of SERVICES) {
        const d = deployment(layout, service);
        const referenced = JSON.stringify(d.spec?.template.spec);
        expect(
          referenced.includes(`"${migrationUrl!.source}"`),
          `${describeObject(d)} references the migration owner's Secret ${migrationUrl!.source}`,
        ).toBe(false);
      }
    });
  });

  it("keeps each subgraph's depth limit above the gateway's + 1 (an _entities fetch adds a level)", () => {
    const gateway = loadGatewayConfig(standIn(environment(layout, mainContainer(deployment(layout, 'gateway')))));
    const maxDepth = gateway.limits?.maxDepth;
    expect(maxDepth, 'the gateway checks operation limits').toBeDefined();
    for (const { name, port } of SUBGRAPHS) {
      const subgraph = loadSubgraphConfig(
        { name, defaultPort: port },
        standIn(environment(layout, mainContainer(deployment(layout, name)))),
      );
      expect(subgraph.limits.maxDepth, name).toBeGreaterThan(maxDepth! + 1);
    }
  });

  it('keeps every credential a placeholder in git (CHANGE-ME), and nothing secret in ConfigMaps', () => {
    for (const secret of ofKind(layout, 'Secret')) {
      for (const [key, data] of Object.entries(objectData(secret))) expect(data, `${describeObject(secret)} ${key}`).toContain('CHANGE-ME');
    }
    for (const configMap of ofKind(layout, 'ConfigMap')) {
      for (const [key, data] of Object.entries(objectData(configMap))) {
        expect(isSecretVariable(key), `${describeObject(configMap)} holds ${key}`).toBe(false);
        expect(data, `${describeObject(configMap)} ${key}`).not.toContain('CHANGE-ME');
      }
    }
  });

  it("NetworkPolicies: only the gateway (and reviews, for users and products) reach a subgraph's API; metrics only from monitoring; the gateway open on 4000; nothing else", () => {
    const policies = ofKind<INetworkPolicy>(layout, 'NetworkPolicy');
    const pods = workloadPeers(workloads(objectsOf(layout)), layout.podNamespace);
    const outside = (namespace: string, labels: Record<string, string>): NetworkPeer => ({
      kind: 'pod',
      name: `${namespace}/${labels['app.kubernetes.io/name']}`,
      namespace,
      namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
      labels,
      ports: [],
    });
    const sources: NetworkPeer[] = [
      ...pods,
      // A pod in Tessera's namespace that is not one of its services, even with Tessera's labels.
      outside(layout.podNamespace, { 'app.kubernetes.io/name': 'intruder', 'app.kubernetes.io/part-of': 'tessera' }),
      outside('monitoring', { 'app.kubernetes.io/name': 'prometheus' }),
      outside('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' }),
      { kind: 'external', name: 'internet' },
    ];
    const podOf = (name: string) => pods.find((p) => p.name === name) as NetworkPeer & { kind: 'pod' };
    const allowedFrom = (to: NetworkPeer & { kind: 'pod' }, port: number) =>
      sources
        .filter((from) => connectionAllowed(policies, from, to, port, layout.podNamespace))
        .map((s) => s.name)
        .sort();
    for (const { name, port } of SUBGRAPHS) {
      expect(allowedFrom(podOf(`Deployment/${name}`), port), `${name}:${port}`).toEqual(
        CALLED_BY[name].map((caller) => `Deployment/${caller}`).sort(),
      );
    }
    for (const service of SERVICES) {
      const metrics = service === 'gateway' ? 9400 : SUBGRAPHS.find((s) => s.name === service)!.port + 5400;
      expect(allowedFrom(podOf(`Deployment/${service}`), metrics), `${service}:${metrics}`).toEqual(['monitoring/prometheus']);
      // A port nobody declared (a debugger's, say) is closed to everyone.
      expect(allowedFrom(podOf(`Deployment/${service}`), 9229), `${service}:9229`).toEqual([]);
    }
    expect(allowedFrom(podOf('Deployment/gateway'), 4000)).toEqual(expect.arrayContaining(['internet', 'ingress-nginx/ingress-nginx']));
    for (const job of pods.filter((p) => p.name.startsWith('Job/'))) {
      for (const port of [4000, 4001, 4002, 4003, 9401])
        expect(allowedFrom(job as NetworkPeer & { kind: 'pod' }, port), `${job.name}:${port}`).toEqual([]);
    }
  });
});

describe('deploy/k8s/left-at-default.yaml', () => {
  it.each(SERVICES)('%s: lists only variables the service reads, each with its reason', (service) => {
    for (const [name, reason] of defaultsOf(service)) {
      expect(reads(service, name), `${name} is not read by ${service}`).toBe(true);
      expect(typeof reason === 'string' && reason.length >= 20, `${name} needs a reason`).toBe(true);
    }
  });
});

describe('deploy/k8s: production overlay, against the base', () => {
  const [base, production] = LAYOUTS;

  it('puts every namespaced object in the tessera namespace', () => {
    for (const object of objectsOf(production)) expect(object.metadata.namespace, describeObject(object)).toBe('tessera');
  });

  it('pins one release of the four images (and the Jobs use it)', () => {
    const images = workloads(objectsOf(production)).flatMap((w) => w.template.spec!.containers.map((c) => c.image));
    const tags = new Set(images.map(imageTag));
    expect(tags.size, images.join(', ')).toBe(1);
    expect([...tags][0]).not.toMatch(/^(latest|main|master|edge|dev)?$/);
  });

  it.each(SUBGRAPHS)(
    '$name: queries through PgBouncer (6432) without named statements or a statement_timeout parameter; migrations straight to PostgreSQL',
    ({ name, port }) => {
      const env = standIn(environment(production, mainContainer(deployment(production, name))));
      const config = loadSubgraphConfig({ name, defaultPort: port }, env);
      const url = new URL(config.database.url!);
      expect(url.host).toBe('pgbouncer:6432');
      expect(url.pathname).toBe(`/${name}`);
      expect(config.database).toMatchObject({ preparedStatements: false, statementTimeoutMs: 0, migrations: 'verify' });
      expect(new URL(config.database.migrationUrl!).host, 'the replicas read the migration history from PostgreSQL itself').not.toBe(
        url.host,
      );
      // Reads on the streaming replica, through the PgBouncer in front of it.
      expect(config.database.replicaUrls.map((replica) => new URL(replica))).toMatchObject([
        { host: 'pgbouncer-replica:6432', pathname: `/${name}` },
      ]);
      const job = migrationJob(production, name).template.spec!.containers[0]!;
      const jobConfig = loadSubgraphConfig({ name, defaultPort: port }, standIn(environment(production, job)));
      expect(new URL(jobConfig.database.migrationUrl!).host).toBe('postgres:5432');
      expect(new URL(jobConfig.database.migrationUrl!).pathname).toBe(`/${name}`);
    },
  );

  it('gives the gateway Redis', () => {
    const env = environment(production, mainContainer(deployment(production, 'gateway')));
    expect(env.get('REDIS_URL')?.from).toBe('Secret');
    expect(new URL(env.get('REDIS_URL')!.value).protocol).toBe('redis:');
  });

  it.each(SERVICES)('%s: more replicas and more resources than the base', (service) => {
    const hpa = (layout: Layout) =>
      ofKind<IHorizontalPodAutoscaler>(layout, 'HorizontalPodAutoscaler').find((h) => h.spec?.scaleTargetRef.name === service)!.spec;
    expect(hpa(production).minReplicas).toBeGreaterThanOrEqual(3);
    expect(hpa(production).minReplicas).toBeGreaterThan(hpa(base).minReplicas!);
    expect(hpa(production).maxReplicas).toBeGreaterThan(hpa(base).maxReplicas);
    const resources = (layout: Layout) => mainContainer(deployment(layout, service)).resources!;
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) {
        expect(parseQuantity(resources(production)[kind]![resource]!), `${kind}.${resource}`).toBeGreaterThan(
          parseQuantity(resources(base)[kind]![resource]!),
        );
      }
    }
  });
});

describe('the checks themselves', () => {
  const pod = (name: string, labels: Record<string, string>, namespace = 'ns'): NetworkPeer & { kind: 'pod' } => ({
    kind: 'pod',
    name,
    namespace,
    namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
    labels,
    ports: [{ name: 'http', containerPort: 4001 }],
  });
  const policy = (spec: INetworkPolicy['spec']): INetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'ns' },
    spec,
  });
  const target = pod('target', { app: 'users' });
  const gateway = pod('gateway', { app: 'gateway' });

  it('NetworkPolicy evaluation: a pod no policy selects is open; selected, only what a rule allows; named ports; egress too', () => {
    expect(connectionAllowed([], gateway, target, 4001, 'ns')).toBe(true);
    const ingress = policy({
      podSelector: { matchLabels: { app: 'users' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'gateway' } } }], ports: [{ port: 'http' }] }],
    });
    expect(connectionAllowed([ingress], gateway, target, 4001, 'ns')).toBe(true);
    expect(connectionAllowed([ingress], gateway, target, 4002, 'ns')).toBe(false);
    expect(connectionAllowed([ingress], pod('other', { app: 'other' }), target, 4001, 'ns')).toBe(false);
    // A podSelector alone means the policy's own namespace.
    expect(connectionAllowed([ingress], pod('gateway elsewhere', { app: 'gateway' }, 'elsewhere'), target, 4001, 'ns')).toBe(false);
    expect(connectionAllowed([ingress], { kind: 'external', name: 'x' }, target, 4001, 'ns')).toBe(false);
    const denyEgress = policy({ podSelector: { matchLabels: { app: 'gateway' } }, policyTypes: ['Egress'] });
    expect(connectionAllowed([ingress, denyEgress], gateway, target, 4001, 'ns')).toBe(false);
    const openAll = policy({ podSelector: {}, ingress: [{}] });
    expect(connectionAllowed([openAll], { kind: 'external', name: 'x' }, target, 9999, 'ns')).toBe(true);
  });

  it('environment resolution: envFrom in order, env over it, Secrets decoded, a missing object refused', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { X: '1', Y: '1' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { Y: Buffer.from('2').toString('base64') } },
    ] as K8sObject[];
    const env = containerEnvironment(
      { name: 'c', envFrom: [{ configMapRef: { name: 'a' } }, { secretRef: { name: 's' } }], env: [{ name: 'X', value: '3' }] },
      objects,
      undefined,
    );
    expect(Object.fromEntries(env)).toEqual({ X: { value: '3', from: 'value' }, Y: { value: '2', from: 'Secret', source: 's' } });
    expect(() => containerEnvironment({ name: 'c', envFrom: [{ configMapRef: { name: 'missing' } }] }, objects, undefined)).toThrow(
      /missing/,
    );
  });

  it('schema validation refuses a wrong type, and a kind without a schema', () => {
    expect(() => validateObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { A: 1 } })).toThrow(
      /must be string/,
    );
    expect(() => validateObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'x' } })).toThrow(
      /no Kubernetes schema/,
    );
    expect(() => validateObject({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } })).toThrow(/no Kubernetes schema/);
    expect(parseQuantity('250m')).toBe(0.25);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
  });
});
