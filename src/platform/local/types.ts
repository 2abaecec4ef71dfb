// The contract between the sandbox and each component driver (kafka, timescaledb, minio, milvus,
// redis, temporal). A driver knows how to lay out, start and check one SLO-Scout component from the
// topology model; the sandbox does the rest (state file, kill, restart, down).
import type { ActionMap, MemberHealth } from '../platform.ts';
import type { Topology } from '../../topology/model.ts';
import type { PortAllocator } from './ports.ts';
import type { ProcessSpec, RunAs } from './process.ts';
import type { Toolchain } from './toolchain.ts';

// Start order: firedrill's own services (results database, Temporal) first, then SLO-Scout's data
// tier, then the calibration target whose truth is known by construction.
export const COMPONENTS = [
  'results',
  'temporal',
  'kafka',
  'timescaledb',
  'minio',
  'milvus',
  'redis',
  'calibration',
] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export interface MemberState {
  /** e.g. "kafka-0"; the index follows the StatefulSet pod ordinal. */
  name: string;
  index: number;
  ports: Record<string, number>;
  dataDir: string;
  /** Started in order; the member is up when all are running and health says so. */
  processes: ProcessSpec[];
  /** Process name → pid of the current incarnation (absent when not running). */
  pids: Record<string, number>;
}

export interface ComponentState {
  component: ComponentName;
  members: MemberState[];
  /**
   * Processes the component needs that are not replicas of it (e.g. the etcd that Patroni uses as
   * its DCS). Started before the members, stopped after them, never targeted by `kill <component>`.
   */
  support?: MemberState[];
  /** What a client needs, e.g. { bootstrap: "127.0.0.1:21001,…" }. Printed by `sandbox status`. */
  endpoints: Record<string, string>;
  /** Driver-specific facts worth keeping (cluster id, credentials, configuration snapshot). */
  info: Record<string, unknown>;
}

// The platform contract owns it; drivers report it.
export type { MemberHealth } from '../platform.ts';

export interface SandboxContext {
  id: string;
  /** The sandbox's disposable folder: `up` wipes it. */
  dir: string;
  /** What outlives the sandbox (results and Temporal databases): `up` reuses it. */
  history: string;
  topology: Topology;
  ports: PortAllocator;
  toolchain: Toolchain;
  /** Set when running as root: the unprivileged user that servers which refuse root run as. */
  runAs?: RunAs;
  log: (message: string) => void;
}

/**
 * A named operation a drill may ask of a component beyond kill/restart (e.g. "kill-postmaster",
 * "backup", "restore"). Takes and returns JSON-serializable values; it does not start or stop
 * members (their pids are the sandbox's business: use kill/restart for that).
 */
export type ComponentAction = (
  ctx: SandboxContext,
  state: ComponentState,
  args: Record<string, unknown>,
) => Promise<unknown>;

/**
 * A driver's actions table, typed by its system's map (src/systems/<system>/actions.ts): exactly
 * those names, each with its own arguments and result.
 */
export type ActionTable<M extends ActionMap> = {
  [K in keyof M]: (ctx: SandboxContext, state: ComponentState, args: M[K]['args']) => Promise<M[K]['result']>;
};

/** What the sandbox calls: it passes a drill's JSON arguments as they came. */
export const untypedActions = <M extends ActionMap>(table: ActionTable<M>) =>
  table as unknown as Record<string, ComponentAction>;

export interface ComponentDriver {
  readonly name: ComponentName;
  /** Allocates ports, writes configuration, initialises data directories; starts nothing. */
  prepare(ctx: SandboxContext): Promise<ComponentState>;
  /** Starts every member and resolves once the component serves its real protocol. */
  start(ctx: SandboxContext, state: ComponentState): Promise<void>;
  /** Starts one stopped member and resolves once it has rejoined. */
  startMember(ctx: SandboxContext, state: ComponentState, member: MemberState): Promise<void>;
  /** Checks each member with the component's own protocol. */
  health(ctx: SandboxContext, state: ComponentState): Promise<MemberHealth[]>;
  /** Operations drills may invoke through Platform.action(), by name. */
  actions?: Record<string, ComponentAction>;
}
