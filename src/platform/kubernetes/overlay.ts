// An overlay (deploy/overlays/<name>.yaml) turns the deploy plan of deploy/k8s into what one kind of
// cluster can run, without editing deploy/k8s, the single source of truth: the single-node overlay
// maps images to the ones built without a registry, places the listed workloads on the real node,
// scales their resources down, relaxes required anti-affinity (one node cannot spread replicas)
// and sizes their volumes. Pure: reading the file apart, it is a function of plan and overlay.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../topology/load.ts';
import { UserError } from '../../util/errors.ts';
import { describeRef, refOf, type KubeObject } from './objects.ts';
import {
  allObjects,
  planFromDocuments,
  splitImage,
  withImages,
  type DeployPlan,
  type ImageRule,
} from './plan.ts';

export const OVERLAY_DIR = join(REPO_ROOT, 'deploy', 'overlays');

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

export interface Overlay {
  name: string;
  imagePullPolicy?: 'Never' | 'IfNotPresent' | 'Always';
  images: ImageRule[];
  placement?: { nodeSelector?: Record<string, string>; tolerations?: Record<string, string>[] };
  /** "namespace/name" of a workload (or Job) → what changes in it. */
  workloads: Record<
    string,
    {
      storage?: string;
      /** Pod securityContext fields the overlay's images need (their user's ids); they win. */
      securityContext?: Record<string, unknown>;
      containers?: Record<string, { resources?: Resources; env?: Record<string, string> }>;
    }
  >;
  secrets?: { namespace: string; name: string; keys: Record<string, 'user' | 'password'> }[];
}

/** What the annotation on a relaxed workload says. */
export const RELAXED_ANNOTATION = 'firedrill.io/overlay-relaxed';

export function loadOverlay(name: string, dir = OVERLAY_DIR): Overlay {
  const file = join(dir, `${name}.yaml`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read overlay ${file}: ${(err as Error).message}`);
  }
  const o = raw as Partial<Overlay> | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.images) || typeof o.workloads !== 'object')
    throw new UserError(`overlay ${file} needs "images" (a list) and "workloads" (a map)`);
  return { name, ...o } as Overlay;
}

type Pod = {
  securityContext?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  affinity?: Record<string, Record<string, unknown> | undefined>;
  topologySpreadConstraints?: { whenUnsatisfiable?: string }[];
  containers?: Container[];
  initContainers?: Container[];
  volumes?: { persistentVolumeClaim?: { claimName: string } }[];
};
type Container = {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  resources?: Resources;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
};
type Term = { weight?: number; podAffinityTerm?: unknown };

function podOf(o: KubeObject): Pod | undefined {
  const spec = o.spec as { template?: { spec?: Pod } } | undefined;
  return spec?.template?.spec;
}

/** Required (anti-)affinity terms become preferred ones of weight 100; says whether any did. */
function relaxAffinity(pod: Pod): string[] {
  const relaxed: string[] = [];
  for (const kind of ['podAntiAffinity', 'podAffinity'] as const) {
    const a = pod.affinity?.[kind] as
      | {
          requiredDuringSchedulingIgnoredDuringExecution?: unknown[];
          preferredDuringSchedulingIgnoredDuringExecution?: Term[];
        }
      | undefined;
    const required = a?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!a || !required?.length) continue;
    a.preferredDuringSchedulingIgnoredDuringExecution = [
      ...(a.preferredDuringSchedulingIgnoredDuringExecution ?? []),
      ...required.map((podAffinityTerm) => ({ weight: 100, podAffinityTerm })),
    ];
    delete a.requiredDuringSchedulingIgnoredDuringExecution;
    relaxed.push(`required ${kind} made preferred`);
  }
  for (const c of pod.topologySpreadConstraints ?? [])
    if (c.whenUnsatisfiable === 'DoNotSchedule') {
      c.whenUnsatisfiable = 'ScheduleAnyway';
      relaxed.push('topology spread DoNotSchedule made ScheduleAnyway');
    }
  return [...new Set(relaxed)];
}

function setEnv(c: Container, env: Record<string, string>): void {
  c.env ??= [];
  for (const [name, value] of Object.entries(env)) {
    const e = c.env.find((x) => x.name === name);
    if (e) {
      delete e.valueFrom;
      e.value = value;
    } else c.env.push({ name, value });
  }
}

/** The plan with the overlay applied; refuses an overlay entry that names nothing in the plan. */
export function applyOverlay(plan: DeployPlan, overlay: Overlay): DeployPlan {
  const byKey = new Map(
    allObjects(plan).map((p) => [`${p.ref.namespace ?? ''}/${p.ref.name}#${p.ref.kind}`, p.manifest]),
  );
  const docs = allObjects(plan).map((p) => structuredClone(p.manifest));
  const find = (key: string) =>
    docs.filter((d) => `${d.metadata.namespace ?? ''}/${d.metadata.name}` === key && podOf(d));
  const claims = new Map<string, string>(); // "ns/claim" → size

  for (const [key, patch] of Object.entries(overlay.workloads)) {
    const [target, ...more] = find(key);
    if (!target || more.length)
      throw new UserError(
        `overlay ${overlay.name}: ${target ? 'more than one workload is' : 'no workload or Job is'} named ${key} in ${plan.source}`,
        `name a workload as "namespace/name", one of: ${[...byKey.keys()]
          .filter((k) => /#(Deployment|StatefulSet|DaemonSet|Job)$/.test(k))
          .map((k) => k.split('#')[0])
          .join(', ')}`,
      );
    const pod = podOf(target)!;
    const where = describeRef(refOf(target));
    for (const [name, c] of Object.entries(patch.containers ?? {})) {
      const container = pod.containers?.find((x) => x.name === name);
      if (!container)
        throw new UserError(
          `overlay ${overlay.name}: ${where} has no container "${name}"`,
          `its containers: ${(pod.containers ?? []).map((x) => x.name).join(', ')}`,
        );
      // Key by key: what the overlay does not size (ephemeral storage) keeps the manifest's value.
      if (c.resources)
        container.resources = {
          requests: { ...container.resources?.requests, ...c.resources.requests },
          limits: { ...container.resources?.limits, ...c.resources.limits },
        };
      if (c.env) setEnv(container, c.env);
    }
    if (overlay.placement?.nodeSelector)
      pod.nodeSelector = { ...pod.nodeSelector, ...overlay.placement.nodeSelector };
    if (overlay.placement?.tolerations)
      pod.tolerations = [...(pod.tolerations ?? []), ...overlay.placement.tolerations];
    if (patch.securityContext) pod.securityContext = { ...pod.securityContext, ...patch.securityContext };
    const relaxed = relaxAffinity(pod);
    if (relaxed.length) {
      const meta = target.metadata as { annotations?: Record<string, string> };
      meta.annotations = {
        ...meta.annotations,
        [RELAXED_ANNOTATION]: `${overlay.name}: ${relaxed.join('; ')} (one node cannot spread replicas)`,
      };
    }
    for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])])
      if (overlay.imagePullPolicy) c.imagePullPolicy = overlay.imagePullPolicy;
    if (patch.storage) {
      const spec = target.spec as {
        volumeClaimTemplates?: { spec: { resources: { requests: { storage: string } } } }[];
      };
      for (const t of spec.volumeClaimTemplates ?? []) t.spec.resources.requests.storage = patch.storage;
      for (const v of pod.volumes ?? [])
        if (v.persistentVolumeClaim)
          claims.set(`${target.metadata.namespace}/${v.persistentVolumeClaim.claimName}`, patch.storage);
    }
  }
  for (const d of docs) {
    const size =
      d.kind === 'PersistentVolumeClaim' && claims.get(`${d.metadata.namespace}/${d.metadata.name}`);
    if (size) (d.spec as { resources: { requests: { storage: string } } }).resources.requests.storage = size;
  }

  const out = docs.map((d) =>
    Object.keys(overlay.workloads).includes(`${d.metadata.namespace}/${d.metadata.name}`)
      ? withImages(d, overlay.images)
      : d,
  );
  // Never-pulled images must be the node's own: an unmapped upstream image would sit in
  // ErrImageNeverPull with no hint of which rule is missing.
  if (overlay.imagePullPolicy === 'Never')
    for (const d of out) {
      if (!Object.keys(overlay.workloads).includes(`${d.metadata.namespace}/${d.metadata.name}`)) continue;
      for (const c of podOf(d)?.containers ?? [])
        if (c.image && !c.image.startsWith('localhost/'))
          throw new UserError(
            `overlay ${overlay.name}: ${describeRef(refOf(d))} container ${c.name} runs ${c.image}, which the node cannot pull`,
            `add an images rule for "${splitImage(c.image).name}" pointing at a deploy/images image (localhost/firedrill/...)`,
          );
    }
  return planFromDocuments(out, { source: `${plan.source} + overlay ${overlay.name}` });
}

/** The overlay's Secrets with fresh random values (create them only where they do not exist yet). */
export function generatedSecrets(
  overlay: Overlay,
  random: (n: number) => Buffer = randomBytes,
): KubeObject[] {
  return (overlay.secrets ?? []).map((s) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'firedrill' },
    },
    type: 'Opaque',
    stringData: Object.fromEntries(
      Object.entries(s.keys).map(([k, kind]) => [
        k,
        kind === 'user' ? `firedrill-${random(6).toString('hex')}` : random(24).toString('base64url'),
      ]),
    ),
  }));
}
