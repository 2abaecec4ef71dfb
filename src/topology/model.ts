// The SLO-Scout topology as typed data. Built from the manifests under deploy/k8s by parse.ts;
// the local sandbox, the drills and the Kubernetes deploy all read this instead of repeating it.

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

export interface Resources {
  requests: { cpu?: string; memory?: string };
  limits: { cpu?: string; memory?: string };
}

export interface Port {
  name: string;
  port: number;
}

export interface Storage {
  name: string;
  size: string;
  storageClass?: string;
}

/** One DR objective. `rpoMs` is null where the spec leaves it to be reported, not promised. */
export interface DrTarget {
  scenario: string;
  rtoMs: number;
  rpoMs: number | null;
  source: string;
}

export interface Component {
  name: string;
  namespace: string;
  kind: WorkloadKind;
  replicas: number | null; // null for DaemonSets: one per node
  image: string;
  resources: Resources;
  ports: Port[];
  storage: Storage[];
  /** Container environment (name → literal value): where broker/server settings live. */
  env: Record<string, string>;
  /** Container arguments as written (e.g. Redis's persistence flags); empty when none. */
  args: string[];
  /** Files of the ConfigMaps the workload mounts, by key (e.g. "patroni.yaml"). */
  configFiles: Record<string, string>;
  annotations: Record<string, string>;
  drTargets: DrTarget[];
}

export interface Namespace {
  name: string;
  purpose?: string;
  quota: { cpu?: string; memory?: string };
}

export interface Service {
  name: string;
  namespace: string;
  type: string; // ClusterIP, LoadBalancer, or Headless
  selector: Record<string, string>;
  ports: Port[];
}

export interface Topology {
  namespaces: Namespace[];
  components: Component[];
  services: Service[];
  storageClasses: string[];
}

export class TopologyError extends Error {}

export function component(topology: Topology, name: string): Component {
  const found = topology.components.find((c) => c.name === name);
  if (!found) {
    const known = topology.components.map((c) => c.name).join(', ');
    throw new TopologyError(`component "${name}" is not in the topology; known components: ${known}`);
  }
  return found;
}

export function drTarget(c: Component, scenario: string): DrTarget {
  const found = c.drTargets.find((t) => t.scenario === scenario);
  if (!found) {
    const known = c.drTargets.map((t) => t.scenario).join(', ') || 'none';
    throw new TopologyError(
      `component "${c.name}" declares no DR target for scenario "${scenario}" (declared: ${known}); ` +
        `add it to the firedrill.io/dr-targets annotation under deploy/k8s`,
    );
  }
  return found;
}
