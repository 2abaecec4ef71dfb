// What a drill may do to the platform it runs on. The local sandbox and Kubernetes implement
// it; drills never know which one they talk to.
import type { MemberHealth } from './local/types.ts';

export type PlatformKind = 'local' | 'kubernetes';

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

export interface Platform {
  readonly ref: PlatformRef;
  endpoints(component: string): Record<string, string>;
  /** Driver facts (credentials, configuration snapshot). Never printed whole: may hold secrets. */
  info(component: string): Record<string, unknown>;
  members(component: string): PlatformMember[];
  kill(component: string, member: string | number, signal?: NodeJS.Signals): Promise<void>;
  /** Brings back whatever members of the component are down; resolves once they have rejoined. */
  restart(component: string, member?: string | number): Promise<string[]>;
  health(component: string): Promise<MemberHealth[]>;
  versions(): Record<string, string>;
  /**
   * A named operation of the component beyond kill/restart (e.g. timescaledb "kill-postmaster",
   * "backup", "restore"): JSON in, JSON out. Refuses with the list of names a component knows.
   * Optional: a platform that cannot do it leaves it out, and drills that need it say so.
   */
  action?(component: string, name: string, args?: Record<string, unknown>): Promise<unknown>;
}
