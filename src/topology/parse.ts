// Manifests (already parsed from YAML) → Topology. Pure: no file access here, so the unit tests
// can feed it documents directly and the loader stays a thin shell.
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './duration.ts';
import {
  TopologyError,
  type Component,
  type DrTarget,
  type Namespace,
  type Port,
  type Service,
  type Storage,
  type Topology,
  type WorkloadKind,
} from './model.ts';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const WORKLOAD_KINDS: WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];
export const DR_TARGETS_ANNOTATION = 'firedrill.io/dr-targets';

export function parseTopology(docs: Doc[]): Topology {
  const live = docs.filter((d) => d && typeof d === 'object' && d.kind);
  const configMaps = new Map<string, Record<string, string>>();
  for (const d of live.filter((d) => d.kind === 'ConfigMap')) {
    configMaps.set(`${d.metadata.namespace}/${d.metadata.name}`, d.data ?? {});
  }
  const quotas = new Map<string, Doc>();
  for (const d of live.filter((d) => d.kind === 'ResourceQuota')) quotas.set(d.metadata.namespace, d);

  const namespaces: Namespace[] = live
    .filter((d) => d.kind === 'Namespace')
    .map((d) => {
      const hard = quotas.get(d.metadata.name)?.spec?.hard ?? {};
      return {
        name: d.metadata.name,
        purpose: d.metadata.annotations?.['firedrill.io/purpose'],
        quota: { cpu: hard['requests.cpu'], memory: hard['requests.memory'] },
      };
    });

  const components = live
    .filter((d) => WORKLOAD_KINDS.includes(d.kind))
    .map((d) => parseWorkload(d, configMaps));

  const services: Service[] = live
    .filter((d) => d.kind === 'Service')
    .map((d) => ({
      name: d.metadata.name,
      namespace: d.metadata.namespace,
      type: d.spec.clusterIP === 'None' ? 'Headless' : (d.spec.type ?? 'ClusterIP'),
      selector: d.spec.selector ?? {},
      ports: (d.spec.ports ?? []).map((p: Doc) => ({ name: p.name ?? String(p.port), port: p.port })),
    }));

  const storageClasses = live.filter((d) => d.kind === 'StorageClass').map((d) => d.metadata.name);
  return { namespaces, components, services, storageClasses };
}

function parseWorkload(d: Doc, configMaps: Map<string, Record<string, string>>): Component {
  const where = `${d.kind} ${d.metadata?.namespace}/${d.metadata?.name}`;
  const pod = d.spec?.template?.spec;
  const container = pod?.containers?.[0];
  if (!container) throw new TopologyError(`${where}: has no container`);

  const ports: Port[] = (container.ports ?? []).map((p: Doc) => ({
    name: p.name ?? String(p.containerPort),
    port: p.containerPort,
  }));
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;

  const storage: Storage[] = (d.spec.volumeClaimTemplates ?? []).map((t: Doc) => ({
    name: t.metadata.name,
    size: t.spec.resources.requests.storage,
    storageClass: t.spec.storageClassName,
  }));
  const configFiles: Record<string, string> = {};
  for (const v of pod.volumes ?? []) {
    if (v.configMap)
      Object.assign(configFiles, configMaps.get(`${d.metadata.namespace}/${v.configMap.name}`));
  }
  const annotations: Record<string, string> = d.metadata.annotations ?? {};
  return {
    name: d.metadata.name,
    namespace: d.metadata.namespace,
    kind: d.kind,
    replicas: d.kind === 'DaemonSet' ? null : (d.spec.replicas ?? 1),
    image: container.image,
    resources: { requests: container.resources?.requests ?? {}, limits: container.resources?.limits ?? {} },
    ports,
    storage,
    env,
    args: (container.args ?? []).map(String),
    configFiles,
    annotations,
    drTargets: parseDrTargets(annotations[DR_TARGETS_ANNOTATION], where),
  };
}

/** The annotation is a YAML list of {scenario, rto, rpo, source}; rpo "report" means no promise. */
export function parseDrTargets(text: string | undefined, where: string): DrTarget[] {
  if (!text) return [];
  const list = parseYaml(text);
  if (!Array.isArray(list)) throw new TopologyError(`${where}: ${DR_TARGETS_ANNOTATION} must be a YAML list`);
  return list.map((t: Doc, i: number) => {
    const at = `${where}: ${DR_TARGETS_ANNOTATION}[${i}]`;
    for (const field of ['scenario', 'rto', 'rpo', 'source']) {
      if (t?.[field] === undefined) throw new TopologyError(`${at}: missing "${field}"`);
    }
    return {
      scenario: String(t.scenario),
      rtoMs: parseDuration(String(t.rto), `${at}.rto`),
      rpoMs: t.rpo === 'report' ? null : parseDuration(String(t.rpo), `${at}.rpo`),
      source: String(t.source),
    };
  });
}
