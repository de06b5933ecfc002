/**
 * Kubernetes manifests (deploy/k8s/) examined without a cluster. `kubectl kustomize` renders a
 * kustomization ({@link renderKustomization}); everything else here is pure: parsing the
 * rendered YAML, schema validation with kubernetes-models, a container's environment as the
 * kubelet would build it from env/envFrom and the rendered ConfigMaps and Secrets, label
 * selectors, Kubernetes quantities, and NetworkPolicy evaluation (may this pod open a TCP
 * connection to that pod's port?).
 */
import { execFile } from 'node:child_process';
import * as models from 'kubernetes-models';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IContainerPort } from 'kubernetes-models/v1/ContainerPort';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import { parseAllDocuments } from 'yaml';

/** One rendered object: what every Kubernetes object has, the rest as it came. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** What to say when kubectl is not there: the tests fail with it rather than skip. */
export const KUBECTL_MISSING =
  'kubectl is not installed (or not on PATH): install it with `apt-get install -y kubernetes-client` ' +
  '(kubectl 1.20, whose built-in kustomize v2.0.3 is the oldest these manifests are written for)';

/** Runs `kubectl <args>`; its standard output. */
function kubectl(args: string[], { command = 'kubectl' }: { command?: string } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      if (!error) return resolvePromise(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(KUBECTL_MISSING));
      // Newer kustomize prefixes its errors with deprecation warnings (`# Warning: 'bases' is deprecated…`).
      const reason = stderr
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('# Warning:'))
        .join('\n');
      reject(new Error(`${command} ${args.join(' ')} failed: ${reason || error.message}`));
    });
  });
}

/** `kubectl kustomize <dir>`, parsed: every object the kustomization renders, in kubectl's order. */
export async function renderKustomization(dir: string, options: { kubectl?: string } = {}): Promise<K8sObject[]> {
  return parseManifests(await kubectl(['kustomize', dir], { command: options.kubectl }));
}

/** The client's version as kubectl reports it (e.g. `v1.20.2`), and its kustomize's when it says. */
export async function kubectlVersion(options: { kubectl?: string } = {}): Promise<string> {
  const report = JSON.parse(await kubectl(['version', '--client', '-o', 'json'], { command: options.kubectl })) as {
    clientVersion?: { gitVersion?: string };
    kustomizeVersion?: string;
  };
  return [report.clientVersion?.gitVersion ?? 'unknown', report.kustomizeVersion && `kustomize ${report.kustomizeVersion}`]
    .filter(Boolean)
    .join(', ');
}

/** A multi-document YAML stream of Kubernetes objects (empty documents skipped); any syntax error or non-object throws. */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`invalid YAML: ${document.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    const object = value as Partial<K8sObject>;
    if (
      typeof object !== 'object' ||
      typeof object.apiVersion !== 'string' ||
      typeof object.kind !== 'string' ||
      typeof object.metadata?.name !== 'string'
    ) {
      throw new Error(`not a Kubernetes object (apiVersion, kind and metadata.name expected): ${JSON.stringify(value).slice(0, 200)}`);
    }
    objects.push(object as K8sObject);
  }
  return objects;
}

/** `Kind/name` (`Deployment/gateway`), for messages. */
export const describeObject = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: unknown): { validate(): void };
}

/**
 * kubernetes-models' class for an apiVersion and kind (`apps/v1` + `Deployment` →
 * `models.apps.v1.Deployment`; the core group's `v1` → `models.v1`); undefined when it has none
 * (a custom resource, a misspelt kind or an apiVersion Kubernetes never had).
 */
export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const groupKey = group!
    .split('.')
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');
  const byGroup = models as unknown as Record<string, Record<string, Record<string, unknown>>>;
  const versionModule = groupKey ? byGroup[groupKey]?.[version!] : (byGroup[version!] as unknown as Record<string, unknown> | undefined);
  const candidate = Object.hasOwn(versionModule ?? {}, kind) ? versionModule![kind] : undefined;
  if (typeof candidate !== 'function') return undefined;
  const model = candidate as ModelClass;
  return model.apiVersion === apiVersion && model.kind === kind ? model : undefined;
}

/**
 * Checks an object against its Kubernetes OpenAPI schema (kubernetes-models: types, enums,
 * required fields, formats); throws naming the object and every problem. An object whose kind
 * has no schema there throws too: nothing goes unvalidated.
 */
export function validateObject(object: K8sObject): void {
  const Model = modelFor(object.apiVersion, object.kind);
  if (!Model) throw new Error(`${describeObject(object)}: no Kubernetes schema for apiVersion ${object.apiVersion}, kind ${object.kind}`);
  try {
    new Model(withUnwrappedSecretData(object)).validate();
  } catch (error) {
    throw new Error(`${describeObject(object)}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * kustomize 5 writes a Secret's long base64 values over several lines; the API server decodes
 * them as Go's encoding/base64 does, skipping line breaks, but the schema's `byte` format does not.
 */
function withUnwrappedSecretData(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || !object.data) return object;
  return {
    ...object,
    data: Object.fromEntries(
      Object.entries(object.data as Record<string, string>).map(([key, value]) => [key, value.replace(/[\r\n]/g, '')]),
    ),
  };
}

/** A pod template and what owns it: every Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob. */
export interface Workload {
  object: K8sObject;
  namespace: string | undefined;
  template: IPodTemplateSpec;
}

/** Every workload among `objects`, with its pod template. */
export function workloads(objects: K8sObject[]): Workload[] {
  return objects.flatMap((object): Workload[] => {
    const spec = object.spec as { template?: IPodTemplateSpec; jobTemplate?: { spec?: { template?: IPodTemplateSpec } } } | undefined;
    const template =
      object.kind === 'CronJob'
        ? spec?.jobTemplate?.spec?.template
        : ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(object.kind)
          ? spec?.template
          : undefined;
    return template ? [{ object, namespace: object.metadata.namespace, template }] : [];
  });
}

/** A variable of a container's environment and where its value comes from. */
export interface EnvEntry {
  value: string;
  /** `value`: written in the container's `env`; otherwise the kind of object it is read from. */
  from: 'value' | 'ConfigMap' | 'Secret' | 'fieldRef' | 'resourceFieldRef';
  /** The ConfigMap's or Secret's name. */
  source?: string;
}

type EnvFromSource = NonNullable<IContainer['envFrom']>[number];

/** A ConfigMap's or Secret's data, decoded (Secrets' `data` is base64, `stringData` is not). */
export function objectData(object: K8sObject): Record<string, string> {
  const data = (object.data ?? {}) as Record<string, string>;
  if (object.kind === 'Secret') {
    return {
      ...Object.fromEntries(
        Object.entries(data).map(([key, value]) => [key, Buffer.from(value.replace(/[\r\n]/g, ''), 'base64').toString('utf8')]),
      ),
      ...((object.stringData ?? {}) as Record<string, string>),
    };
  }
  return { ...data, ...((object.binaryData ?? {}) as Record<string, string>) };
}

/**
 * A container's environment as the kubelet builds it: `envFrom` sources in order (a later one
 * wins), then `env` (which wins over all of them), ConfigMaps and Secrets looked up among
 * `objects` in the pod's namespace. A reference to a missing object or key throws unless marked
 * optional (the pod would not start). Service links are not included (the test checks they are off).
 */
export function containerEnvironment(container: IContainer, objects: K8sObject[], namespace: string | undefined): Map<string, EnvEntry> {
  const lookup = (kind: 'ConfigMap' | 'Secret', name: string | undefined, optional: boolean | undefined) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
    if (!found && !optional) throw new Error(`container ${container.name}: ${kind} ${name} is not among the rendered objects`);
    return found;
  };
  const env = new Map<string, EnvEntry>();
  for (const source of container.envFrom ?? ([] as EnvFromSource[])) {
    const [kind, ref] = source.configMapRef
      ? (['ConfigMap', source.configMapRef] as const)
      : source.secretRef
        ? (['Secret', source.secretRef] as const)
        : [undefined, undefined];
    if (!kind) throw new Error(`container ${container.name}: an envFrom entry with neither configMapRef nor secretRef`);
    const object = lookup(kind, ref.name, ref.optional);
    if (!object) continue;
    for (const [key, value] of Object.entries(objectData(object)))
      env.set(`${source.prefix ?? ''}${key}`, { value, from: kind, source: object.metadata.name });
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env.set(variable.name, { value: variable.value ?? '', from: 'value' });
    } else if (from.configMapKeyRef || from.secretKeyRef) {
      const [kind, ref] = from.configMapKeyRef ? (['ConfigMap', from.configMapKeyRef] as const) : (['Secret', from.secretKeyRef!] as const);
      const object = lookup(kind, ref.name, ref.optional);
      const value = object ? objectData(object)[ref.key] : undefined;
      if (value === undefined && !ref.optional)
        throw new Error(`container ${container.name}: ${kind} ${ref.name} has no key ${ref.key} (for ${variable.name})`);
      if (value !== undefined) env.set(variable.name, { value, from: kind, source: object!.metadata.name });
    } else if (from.fieldRef) {
      env.set(variable.name, { value: `<${from.fieldRef.fieldPath}>`, from: 'fieldRef' });
    } else {
      env.set(variable.name, { value: `<${from.resourceFieldRef?.resource}>`, from: 'resourceFieldRef' });
    }
  }
  return env;
}

/** A label selector: `matchLabels` and `matchExpressions` (In, NotIn, Exists, DoesNotExist); an empty one selects everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Whether `selector` selects an object with `labels`. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined = {}): boolean {
  if (!selector) return true;
  const matched = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    matched &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return key in labels && values.includes(labels[key]!);
        case 'NotIn':
          return !(key in labels) || !values.includes(labels[key]!);
        case 'Exists':
          return key in labels;
        case 'DoesNotExist':
          return !(key in labels);
        default:
          throw new Error(`unknown label selector operator ${operator}`);
      }
    })
  );
}

/** A Kubernetes quantity (`250m`, `1`, `512Mi`, `1Gi`, `1e3`) as a number: cores for CPU, bytes for memory. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(quantity.trim());
  if (!match) throw new Error(`not a Kubernetes quantity: ${quantity}`);
  const factors: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  return Number(match[1]) * (match[2] ? factors[match[2]]! : 1);
}

/** One end of a connection: a pod (its namespace, that namespace's labels, its labels and container ports) or an address outside the cluster. */
export type NetworkPeer =
  | {
      kind: 'pod';
      name: string;
      namespace: string;
      namespaceLabels: Record<string, string>;
      labels: Record<string, string>;
      ports: IContainerPort[];
    }
  | { kind: 'external'; name: string };

/** The pods of `workloads`, as {@link NetworkPeer}s in `namespace` (labelled, as Kubernetes labels every namespace, with its name). */
export function workloadPeers(list: Workload[], namespace: string): NetworkPeer[] {
  return list.map(({ object, template }) => ({
    kind: 'pod',
    name: describeObject(object),
    namespace,
    namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
    labels: template.metadata?.labels ?? {},
    ports: (template.spec?.containers ?? []).flatMap((c) => c.ports ?? []),
  }));
}

/** Whether a policy's `ports` entry admits TCP `port` of a pod with `ports` (named ports resolve against the destination's containers). */
function portMatches(rules: INetworkPolicyPort[] | undefined, port: number, destination: NetworkPeer): boolean {
  if (!rules || rules.length === 0) return true;
  return rules.some((rule) => {
    if ((rule.protocol ?? 'TCP') !== 'TCP') return false;
    if (rule.port === undefined) return true;
    if (typeof rule.port === 'string' && !/^\d+$/.test(rule.port)) {
      return (
        destination.kind === 'pod' &&
        destination.ports.some((p) => p.name === rule.port && p.containerPort === port && (p.protocol ?? 'TCP') === 'TCP')
      );
    }
    const first = Number(rule.port);
    return rule.endPort === undefined ? port === first : port >= first && port <= rule.endPort;
  });
}

/**
 * Whether a policy's `from`/`to` peers include `peer`. An ipBlock is taken to include every
 * address, pods' too (pod IPs are not modelled): the approximation that can only make a
 * "who may connect" check stricter, never hide an opening.
 */
function peerMatches(peers: INetworkPolicyPeer[] | undefined, peer: NetworkPeer, policyNamespace: string): boolean {
  if (!peers || peers.length === 0) return true;
  return peers.some((rule) => {
    if (rule.ipBlock) return true;
    if (peer.kind !== 'pod') return false;
    const namespaceOk = rule.namespaceSelector
      ? selectorMatches(rule.namespaceSelector, peer.namespaceLabels)
      : peer.namespace === policyNamespace;
    const podOk = rule.podSelector ? selectorMatches(rule.podSelector, peer.labels) : true;
    return namespaceOk && podOk;
  });
}

/** A policy's types: as written, or Ingress plus Egress when it has egress rules (Kubernetes' default). */
function policyTypes(policy: INetworkPolicy): string[] {
  return policy.spec?.policyTypes ?? ['Ingress', ...(policy.spec?.egress ? ['Egress'] : [])];
}

/**
 * Whether NetworkPolicies let `from` open a TCP connection to `port` of the pod `to`: the
 * destination's ingress (if any policy in its namespace selects it for Ingress, one of them must
 * allow it) and the source's egress likewise. `defaultNamespace` is where policies without a
 * namespace (a base rendered without one) apply.
 */
export function connectionAllowed(
  policies: INetworkPolicy[],
  from: NetworkPeer,
  to: NetworkPeer & { kind: 'pod' },
  port: number,
  defaultNamespace: string,
): boolean {
  const namespaceOf = (policy: INetworkPolicy) => policy.metadata?.namespace ?? defaultNamespace;
  const selecting = (pod: NetworkPeer & { kind: 'pod' }, type: 'Ingress' | 'Egress') =>
    policies.filter(
      (policy) =>
        namespaceOf(policy) === pod.namespace &&
        policyTypes(policy).includes(type) &&
        selectorMatches(policy.spec?.podSelector, pod.labels),
    );
  const ingress = selecting(to, 'Ingress');
  const ingressOk =
    ingress.length === 0 ||
    ingress.some((policy) =>
      (policy.spec?.ingress ?? []).some((rule) => portMatches(rule.ports, port, to) && peerMatches(rule.from, from, namespaceOf(policy))),
    );
  if (!ingressOk || from.kind !== 'pod') return ingressOk;
  const egress = selecting(from, 'Egress');
  return (
    egress.length === 0 ||
    egress.some((policy) =>
      (policy.spec?.egress ?? []).some((rule) => portMatches(rule.ports, port, to) && peerMatches(rule.to, to, namespaceOf(policy))),
    )
  );
}
