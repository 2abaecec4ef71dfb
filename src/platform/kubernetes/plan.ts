// What `firedrill deploy` applies, in which order: the manifests of deploy/k8s (the kustomization's
// resources, with its `images:` rules and any --image overrides), grouped into tiers in dependency
// order. Pure apart from reading the files, so the unit tests check the order and the images.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadManifests, MANIFEST_DIR } from '../../topology/load.ts';
import { UserError } from '../../util/errors.ts';
import { describeRef, refOf, type KubeObject, type ObjectRef } from './objects.ts';

/** Dependency order: nothing in a tier needs anything of a later tier to become Ready. */
export const TIERS = [
  'namespaces',
  'storage',
  'data',
  'streaming',
  'collectors',
  'backend',
  'frontend',
  'monitoring',
] as const;
export type Tier = (typeof TIERS)[number];

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];
export const isWorkload = (ref: Pick<ObjectRef, 'kind'>): boolean => WORKLOAD_KINDS.includes(ref.kind);

/** Kinds without a namespace that a topology may contain. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'StorageClass',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'IngressClass',
  'CustomResourceDefinition',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

/** Within a tier: what others refer to first, what refers to workloads last. */
const KIND_ORDER = [
  'Namespace',
  'ResourceQuota',
  'LimitRange',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'Service',
  'StatefulSet',
  'Deployment',
  'DaemonSet',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'NetworkPolicy',
  'Ingress',
];
const kindRank = (kind: string) => {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
};

export interface PlannedObject {
  tier: Tier;
  ref: ObjectRef;
  manifest: KubeObject;
}

export interface DeployPlan {
  /** Where the manifests came from (for messages). */
  source: string;
  tiers: { tier: Tier; objects: PlannedObject[] }[];
  total: number;
  /** Container image of every workload after the image rules, "ns/name" → images. */
  images: Record<string, string[]>;
}

export function tierOf(o: KubeObject): Tier {
  const where = describeRef(refOf(o));
  if (o.kind === 'Namespace' || o.kind === 'ResourceQuota' || o.kind === 'LimitRange') return 'namespaces';
  if (o.kind === 'StorageClass' || o.kind === 'PersistentVolume') return 'storage';
  if (CLUSTER_SCOPED.has(o.kind)) return 'namespaces';
  const ns = o.metadata.namespace;
  if (!ns)
    throw new UserError(
      `${where} has no namespace`,
      'every namespaced object of the topology names its slo-scout-* namespace',
    );
  const tier = ns.replace(/^slo-scout-/, '') as Tier;
  if (!ns.startsWith('slo-scout-') || !TIERS.slice(2).includes(tier)) {
    throw new UserError(
      `${where} is in namespace ${ns}, which belongs to no tier`,
      `the tiers' namespaces are ${TIERS.slice(2)
        .map((t) => `slo-scout-${t}`)
        .join(', ')}`,
    );
  }
  return tier;
}

// ---------- images ----------

/** A kustomize `images:` rule. */
export interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** "registry:5000/a/b:tag@sha256:…" → name "registry:5000/a/b", tag, digest. */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [rest, digest] = image.split('@') as [string, string | undefined];
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { name: rest, digest };
}

export function applyImageRules(image: string, rules: ImageRule[]): string {
  const parts = splitImage(image);
  const rule = rules.find((r) => r.name === parts.name);
  if (!rule) return image;
  const name = rule.newName ?? parts.name;
  if (rule.digest) return `${name}@${rule.digest}`;
  const tag = rule.newTag ?? parts.tag;
  return `${name}${tag ? `:${tag}` : ''}${!rule.newTag && parts.digest ? `@${parts.digest}` : ''}`;
}

/** `--image slo-scout/api=registry.example.com/slo-scout/api:1.4.2` → a rule (as `kustomize edit set image`). */
export function parseImageOverride(text: string): ImageRule {
  const eq = text.indexOf('=');
  if (eq < 1 || eq === text.length - 1) {
    throw new UserError(
      `--image "${text}" is not <name>=<image>`,
      'write e.g. --image slo-scout/api=registry.example.com/slo-scout/api:1.4.2',
    );
  }
  const name = text.slice(0, eq);
  const target = splitImage(text.slice(eq + 1));
  return {
    name,
    newName: target.name,
    ...(target.tag ? { newTag: target.tag } : {}),
    ...(target.digest ? { digest: target.digest } : {}),
  };
}

function podSpecs(o: KubeObject): Record<string, unknown>[] {
  const spec = o.spec as
    | {
        template?: { spec?: Record<string, unknown> };
        jobTemplate?: { spec?: { template?: { spec?: Record<string, unknown> } } };
      }
    | undefined;
  return [spec?.template?.spec, spec?.jobTemplate?.spec?.template?.spec].filter(Boolean) as Record<
    string,
    unknown
  >[];
}

/** The image names (no tag, no digest) the containers of these manifests use, as written. */
export function imageNames(docs: Record<string, unknown>[]): Set<string> {
  const out = new Set<string>();
  for (const doc of docs)
    for (const pod of podSpecs(doc as KubeObject))
      for (const key of ['containers', 'initContainers'])
        for (const c of (pod[key] as { image?: unknown }[] | undefined) ?? [])
          if (typeof c?.image === 'string') out.add(splitImage(c.image).name);
  return out;
}

/** A copy of the object with its container images rewritten by the rules. */
export function withImages(o: KubeObject, rules: ImageRule[]): KubeObject {
  if (!rules.length || !podSpecs(o).length) return o;
  const copy = structuredClone(o);
  for (const pod of podSpecs(copy)) {
    for (const key of ['containers', 'initContainers']) {
      for (const c of (pod[key] as { image?: string }[] | undefined) ?? [])
        if (c.image) c.image = applyImageRules(c.image, rules);
    }
  }
  return copy;
}

// ---------- the plan ----------

export function planFromDocuments(
  docs: Record<string, unknown>[],
  opts: { images?: ImageRule[]; source?: string } = {},
): DeployPlan {
  const seen = new Set<string>();
  const objects: PlannedObject[] = [];
  for (const raw of docs) {
    const o = raw as KubeObject;
    if (!o.apiVersion || !o.kind || !o.metadata?.name) {
      throw new UserError(
        `a manifest in ${opts.source ?? 'the topology'} lacks apiVersion, kind or metadata.name: ${JSON.stringify(raw).slice(0, 200)}`,
      );
    }
    const manifest = withImages(o, opts.images ?? []);
    const ref = refOf(manifest);
    const key = `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
    if (seen.has(key))
      throw new UserError(`${describeRef(ref)} is declared twice in ${opts.source ?? 'the topology'}`);
    seen.add(key);
    objects.push({ tier: tierOf(manifest), ref, manifest });
  }
  const tiers = TIERS.map((tier) => ({
    tier,
    objects: objects
      .filter((p) => p.tier === tier)
      .sort(
        (a, b) =>
          kindRank(a.ref.kind) - kindRank(b.ref.kind) ||
          (a.ref.namespace ?? '').localeCompare(b.ref.namespace ?? '') ||
          a.ref.name.localeCompare(b.ref.name),
      ),
  })).filter((t) => t.objects.length);
  const images: Record<string, string[]> = {};
  for (const p of objects) {
    const pods = podSpecs(p.manifest);
    if (pods.length)
      images[`${p.ref.namespace}/${p.ref.name}`] = pods.flatMap((pod) =>
        ((pod.containers as { image: string }[]) ?? []).map((c) => c.image),
      );
  }
  return { source: opts.source ?? 'documents', tiers, total: objects.length, images };
}

/** deploy/k8s (or `dir`): its kustomization's resources and image rules, then --image overrides. */
export function loadDeployPlan(opts: { dir?: string; images?: string[] } = {}): DeployPlan {
  const dir = resolve(opts.dir ?? MANIFEST_DIR);
  let kustomization: { images?: ImageRule[] };
  try {
    kustomization = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) ?? {};
  } catch (err) {
    throw new UserError(`cannot read ${join(dir, 'kustomization.yaml')}: ${(err as Error).message}`);
  }
  const overrides = (opts.images ?? []).map(parseImageOverride);
  const rules = [
    ...overrides,
    ...(kustomization.images ?? []).filter((r) => !overrides.some((o) => o.name === r.name)),
  ];
  let docs: Record<string, unknown>[];
  try {
    docs = loadManifests(dir);
  } catch (err) {
    throw new UserError(`cannot read the manifests in ${dir}: ${(err as Error).message}`);
  }
  // An override no container uses would be silently ignored: the operator deploys what they did
  // not mean to (a typo in slo-scout/api keeps the old image).
  const known = imageNames(docs);
  for (const o of overrides)
    if (!known.has(o.name))
      throw new UserError(
        `--image ${o.name}=…: no container in ${dir} uses an image named "${o.name}"`,
        `name one of: ${[...known].sort().join(', ')}`,
      );
  return planFromDocuments(docs, { images: rules, source: dir });
}

export const allObjects = (plan: DeployPlan): PlannedObject[] => plan.tiers.flatMap((t) => t.objects);
