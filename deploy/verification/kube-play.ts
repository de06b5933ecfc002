/**
 * The test overlay of deploy/k8s for `podman kube play`: the rendered manifests turned into the
 * least that podman 4 runs, generated here rather than kept by hand. What podman lacks, and what
 * this changes for it:
 * - Jobs are not played: each migration Job becomes a Pod of its template (restartPolicy Never).
 * - Deployments become one Pod each (replicas belong to the HPA, which podman ignores).
 * - Secrets and ConfigMaps must exist beforehand: each container's environment is resolved as
 *   the kubelet would (`containerEnvironment`) and written inline, then `overrides` applied
 *   (where PostgreSQL, Redis and the other services are on this machine; the test secrets).
 * - No Services or cluster DNS: every pod is on the host's network, each service on its own port.
 * - `httpGet` probes would become `curl` commands the images lack: they become the images'
 *   own health probe (node:http, with a timeout), written without spaces (podman splits an exec
 *   probe's command on them and runs it through a shell).
 * Security contexts, resources and volumes stay as rendered. Services, HorizontalPodAutoscalers,
 * PodDisruptionBudgets and NetworkPolicies are left out (podman ignores them; deploy/test/k8s.test.ts
 * checks them offline).
 */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { stringify } from 'yaml';
import { containerEnvironment, workloads, type K8sObject } from './k8s-manifests.js';

/** What the overlay needs to know about this machine. */
export interface KubePlaySettings {
  /** The tag the locally built images carry (`pnpm image:build`: `local`). */
  imageTag: string;
  /** Variables set in the container of workload `name` (a Deployment's or a Job's), over the rendered ones. */
  overrides: (name: string) => Record<string, string>;
}

/** The pods to play: the migration jobs' (to run first, to completion) and the services'. */
export interface KubePlayOverlay {
  migrations: K8sObject[];
  services: K8sObject[];
}

/** The images' health probe (service-kit's health-probe.js) for `path` on `port`: no space in any argument, as podman's kube play needs. */
export function healthCommand(path: string, port: number): string[] {
  return ['node', '/app/node_modules/@tessera/service-kit/dist/health-probe.js', String(port), path];
}

export function kubePlayOverlay(objects: K8sObject[], settings: KubePlaySettings): KubePlayOverlay {
  const overlay: KubePlayOverlay = { migrations: [], services: [] };
  for (const { object, namespace, template } of workloads(objects)) {
    if (object.kind !== 'Deployment' && object.kind !== 'Job')
      throw new Error(`${object.kind}/${object.metadata.name}: only Deployments and Jobs are played`);
    const overrides = settings.overrides(object.metadata.name);
    const spec = template.spec!;
    const pod: K8sObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: object.metadata.name, labels: template.metadata?.labels },
      spec: {
        ...spec,
        hostNetwork: true,
        restartPolicy: object.kind === 'Job' ? 'Never' : 'Always',
        containers: spec.containers.map((container) => playedContainer(container, objects, namespace, overrides, settings.imageTag)),
      },
    };
    (object.kind === 'Job' ? overlay.migrations : overlay.services).push(pod);
  }
  return overlay;
}

/** The pods as one YAML stream, for `podman kube play`. */
export function toYaml(pods: K8sObject[]): string {
  return pods.map((pod) => stringify(pod)).join('---\n');
}

function playedContainer(
  container: IContainer,
  objects: K8sObject[],
  namespace: string | undefined,
  overrides: Record<string, string>,
  tag: string,
): IContainer {
  const resolved = Object.fromEntries([...containerEnvironment(container, objects, namespace)].map(([name, entry]) => [name, entry.value]));
  const env = { ...resolved, ...overrides };
  // The port a named probe port stands for, after the overrides (each service reads <NAME>_PORT / <NAME>_METRICS_PORT).
  const portOf = (port: string | number | undefined): number => {
    if (typeof port === 'number') return port;
    const named = container.ports?.find((p) => p.name === port)?.containerPort;
    const variable = Object.keys(resolved).find((name) => name.endsWith('_PORT') && Number(resolved[name]) === named);
    if (named === undefined || variable === undefined)
      throw new Error(`container ${container.name}: no port variable for probe port ${String(port)}`);
    return Number(env[variable]);
  };
  const probe = (given: IProbe | undefined): IProbe | undefined => {
    if (!given?.httpGet) return given;
    const { httpGet, ...timings } = given;
    return { ...timings, exec: { command: healthCommand(httpGet.path ?? '/', portOf(httpGet.port)) } };
  };
  const { envFrom: _envFrom, ports: _ports, ...rest } = container;
  return {
    ...rest,
    image: `${(container.image ?? '').replace(/:[^/:]+$/, '')}:${tag}`,
    imagePullPolicy: 'Never',
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    livenessProbe: probe(container.livenessProbe),
    readinessProbe: probe(container.readinessProbe),
    startupProbe: probe(container.startupProbe),
  };
}
