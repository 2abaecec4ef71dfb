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
}
