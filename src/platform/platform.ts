// What a drill may do to the platform it runs on. The local sandbox and Kubernetes implement
// it; drills never know which one they talk to. A drill declares the capabilities it needs and
// the planner checks them against the platform (src/platform/registry.ts) before anything starts.

export type PlatformKind = 'local' | 'kubernetes';

/**
 * What a platform can do beyond reading endpoints and health:
 * - kill: stop a member abruptly (a process signal, a pod deleted with grace 0);
 * - restart: bring stopped members back and wait for them;
 * - describe: tell one member's incarnation (pid, pod uid) and where it runs;
 * - self-healing: the platform brings a killed member back by itself (a StatefulSet);
 * - actions: named operations of a system (a backup, a restore), typed per system
 *   (src/systems/<system>/actions.ts); which names a platform offers is in its registry entry.
 */
export const CAPABILITIES = ['kill', 'restart', 'describe', 'self-healing', 'actions'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Serializable: travels in workflow inputs so any worker can rebuild the platform. */
export interface PlatformRef {
  kind: PlatformKind;
  /** local: the sandbox name. */
  sandbox?: string;
  /** kubernetes: the kubeconfig context. */
  context?: string;
  /** kubernetes: the kubeconfig file (default $KUBECONFIG or ~/.kube/config). */
  kubeconfig?: string;
  /** kubernetes: the namespaces drills may touch (default: the topology's namespaces). */
  namespaces?: string[];
  /** kubernetes: names the context again to drill one that is not marked disposable. */
  confirmContext?: string;
  /** kubernetes: component → endpoints the drills' clients use (default: FIREDRILL_K8S_ENDPOINTS). */
  endpoints?: Record<string, Record<string, string>>;
}

export interface PlatformMember {
  name: string;
  index: number;
}

export interface MemberHealth {
  member: string;
  up: boolean;
  detail: string;
}

/** One member as it is now (the `describe` capability). */
export interface MemberDescription {
  name: string;
  index: number;
  /** Changes whenever the member is replaced or restarted: a pod uid, a process id. */
  incarnation: string;
  up: boolean;
  /** Going away (a pod with a deletion timestamp). */
  terminating: boolean;
  /** Where it runs: a node name, "this machine". */
  host?: string;
  /** Where it lives, for messages: "namespace/pod", "sandbox default". */
  place: string;
}

/** The workload behind a component, for a configuration snapshot. */
export interface WorkloadDescription {
  /** e.g. "StatefulSet slo-data/kafka", "sandbox processes". */
  workload: string;
  replicas: number;
}

/**
 * A system's typed operations: name → its arguments and its result. Each system room declares
 * its own (e.g. TimescaledbActions); drivers implement it, drills call it through callAction().
 */
export type ActionMap = Record<string, { args: Record<string, unknown>; result: unknown }>;

export interface Platform {
  readonly ref: PlatformRef;
  endpoints(component: string): Record<string, string>;
  /** Driver facts (credentials, configuration snapshot). Never printed whole: may hold secrets. */
  info(component: string): Record<string, unknown>;
  members(component: string): PlatformMember[];
  /** Every refusal a kill of the component would meet (access, safety), without changing anything. */
  checkKill(component: string): Promise<void>;
  kill(component: string, member: string | number, signal?: NodeJS.Signals): Promise<void>;
  /** Brings back whatever members of the component are down; resolves once they have rejoined. */
  restart(component: string, member?: string | number): Promise<string[]>;
  health(component: string): Promise<MemberHealth[]>;
  /** The `describe` capability: one member now; refuses a member the component does not have. */
  describe?(component: string, member: string | number): Promise<MemberDescription>;
  workload?(component: string): Promise<WorkloadDescription>;
  versions(): Record<string, string>;
  /**
   * The `actions` capability: a named operation of the component beyond kill/restart (e.g.
   * timescaledb "backup"): JSON in, JSON out. Refuses with the list of names a component knows.
   */
  action?(component: string, name: string, args?: Record<string, unknown>): Promise<unknown>;
}
