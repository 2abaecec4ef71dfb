// What a drill is. One drill = one file in drills/ exporting `defineDrill({...})`, written like a
// runbook: hypothesis, target, variants, steady-state canary, fault (inject + revert), recovery
// predicates, data check. The engine (activities + workflows) runs any drill without knowing it.
import type { Capability, Platform } from '../platform/platform.ts';
import type { ReadBackRecord } from '../measure/types.ts';

export interface DrillLogger {
  info(obj: Record<string, unknown> | string, msg?: string): void;
  warn(obj: Record<string, unknown> | string, msg?: string): void;
}

export type OptionValue = number | string | boolean;

/**
 * The run's options, checked and typed by the plan (durations in ms). Reading an option as a type
 * it was not declared with is a mistake in the drill, and throws.
 */
export interface DrillOptions {
  number(name: string): number;
  string(name: string): string;
  boolean(name: string): boolean;
  /** Every option with its value, for a configuration snapshot. */
  readonly values: Readonly<Record<string, OptionValue>>;
}

/**
 * The evidence the engine keeps for the run (reports/<runId>/), as far as a drill may see it. A
 * drill never reaches the run's folder by path: what it keeps across steps and workers goes
 * through here, atomically, with secrets scrubbed.
 */
export interface RunEvidence {
  /** A JSON document the drill wrote earlier in this run (undefined when absent). */
  read<T>(name: string): T | undefined;
  /**
   * Writes a JSON document atomically (a worker killed mid-write leaves the previous version).
   * Names are the drill's own (`lower-case.json`); the engine's files are refused.
   */
  write(name: string, value: unknown): void;
  /** The run's timeline so far, in the order it was written. */
  markers(): { marker: string; at: number; note?: string }[];
  /** When the run was planned (epoch ms); undefined outside a drill run (a bench). */
  startedAt(): number | undefined;
  /** Bytes the ledger has written so far: it grows while the writer runs. */
  ledgerBytes(): number;
}

/** What every step of a drill gets. */
export interface DrillEnv {
  runId: string;
  variant: string;
  options: DrillOptions;
  platform: Platform;
  evidence: RunEvidence;
  log: DrillLogger;
  /** Adds a marker to the run's timeline, stamped now (or at `at`), e.g. "isr-2". */
  mark(marker: string, note?: string, at?: number): void;
  /**
   * Issues the fault command: records what is about to be done (so a crash cannot lose it),
   * marks T0 immediately before the command and T0_done when it returns. inject() calls it once.
   * The command is given T0 (epoch ms), for a target that can be told when its fault begins.
   */
  fire(fault: Fault, command: (t0: number) => Promise<void>): Promise<void>;
  /**
   * A side effect inject() needs before the fault (a process paused for a snapshot, a pause of
   * replication…): journaled before the command and undone like the fault — the compensation calls
   * revert() with `effect` (its `preparation` field set to the entry's name), whether or not the
   * fault itself was ever fired. revert() must therefore recognise it; undoing twice is harmless.
   */
  prepare(effect: Fault, command: () => Promise<void>): Promise<void>;
  /**
   * Aborted when the operator aborts the run (or the step is cancelled). Long waits inside a step
   * may watch it; fire() refuses once it is aborted, so a fault is never issued after an abort.
   */
  signal: AbortSignal;
}

/** What inject() did, in a form that survives a worker crash (JSON) so revert() can undo it. */
export interface Fault {
  description: string;
  /** Components and members touched, e.g. ["kafka/kafka-1"]. */
  touched: string[];
  /** Set by the engine on an effect of prepare() handed to revert(): its journal entry. */
  preparation?: string;
  [detail: string]: unknown;
}

export interface LedgerRecord {
  id: number;
  key: string;
  payload: Buffer;
}

export interface OptionSpec {
  type: 'number' | 'string' | 'boolean' | 'duration';
  default?: unknown;
  description: string;
  /**
   * The range a number or duration must fall in (durations as "30s" or ms). Every number option
   * declares both: a value from the command line is never trusted to be sane.
   */
  min?: number | string;
  max?: number | string;
  /** A number option that must be a whole number (an ordinal, a count). */
  integer?: boolean;
  /**
   * The fault stays in place at least this long (a duration: a broker kept down, an outage): it
   * must end before the run's recovery deadline, or the plan would promise what the fault outlives.
   */
  holdsFault?: boolean;
  /** Returns an error sentence when the value makes no sense. */
  check?: (value: OptionValue, all: DrillOptions) => string | undefined;
}

export interface VariantSpec {
  description: string;
  /** Option defaults of this variant, over the drill's (e.g. a longer outage for a quorum loss). */
  defaults?: Record<string, string | number | boolean>;
}

export interface DrillDefinition<S = unknown> {
  name: string;
  title: string;
  hypothesis: string;
  /**
   * A component of the topology model and the DR scenario whose targets apply. Only a target that
   * is not part of SLO-Scout (the calibration service) declares its own `targets`.
   */
  target: {
    component: string;
    scenario: string;
    targets?: { rto: string; rpo: string; source: string };
    /**
     * A string option naming one of several independent instances of the component (the
     * calibration service serves many): the drill then holds only that instance, and drills on
     * the other instances may run beside it. Absent: the drill holds the whole component.
     */
    instanceOption?: string;
  };
  variants: Record<string, VariantSpec>;
  defaultVariant: string;
  options?: Record<string, OptionSpec>;
  probe?: {
    /** A canary starts this often during recovery, whatever earlier ones are doing (default 50). */
    intervalMs?: number;
    consecutiveOk?: number;
    /** Each canary's own timeout (default 1000). */
    timeoutMs?: number;
    /**
     * A canary slower than this is a failure. Default: max(5 × steady-state p99, 100 ms), derived
     * by the steady-state phase (measurement spec, "Canaries").
     */
    latencyBoundMs?: number;
  };
  ledger?: {
    concurrency?: number;
    exactlyOnce?: boolean;
    minAckedBeforeFault?: number;
    /**
     * Up to this many records per acknowledged call, for systems whose unit of acknowledgement is a
     * batch (a Milvus insert of N rows). Needs writeBatch(); every record of a batch gets the batch's
     * acknowledgement time, which is when each of them was really acknowledged.
     */
    batch?: number;
    /** Records per second while a drill runs (default 1,000); the bench measures unpaced. */
    maxRate?: number;
  };
  /** The components the drill needs running (the sandbox brings them up). */
  needs: string[];
  /**
   * What the drill needs of a platform beyond endpoints and health, checked when the run is
   * planned (src/drill/requirements.ts): capabilities, and the actions of its target component
   * it calls. A platform without them refuses the drill; a game day skips it there.
   */
  requires?: { capabilities?: Capability[]; actions?: string[] };

  /** Connects clients and creates what the drill writes to. Idempotent; called by every step. */
  open(env: DrillEnv): Promise<S>;
  close(env: DrillEnv, s: S): Promise<void>;
  /**
   * Refuses, before anything is injected, when the drill cannot be run (names what is missing).
   * May answer what the running configuration promises beyond the model's targets (e.g.
   * synchronous replication promises RPO 0 where the model only asks for the loss to be reported).
   */
  preflight?(env: DrillEnv, s: S): Promise<void | PreflightFindings>;
  /** One write plus one read through the normal client path. Throws when it fails. */
  canary(env: DrillEnv, s: S): Promise<void>;
  /** Writes one ledger record; resolves on acknowledgement with where the system put it. */
  write(env: DrillEnv, s: S, record: LedgerRecord): Promise<{ position?: string }>;
  /**
   * Writes several ledger records in one call that acknowledges all of them or none (ledger.batch).
   * Resolves with one position per record, in order; a rejection leaves every record of the batch
   * failed or unknown, as isDefiniteFailure() says.
   */
  writeBatch?(env: DrillEnv, s: S, records: LedgerRecord[]): Promise<{ position?: string }[]>;
  /** True when the error means "definitely not written"; otherwise the outcome is unknown. */
  isDefiniteFailure(error: unknown): boolean;
  /** Reads back everything the ledger wrote (keys starting with the run's prefix). */
  readBack(env: DrillEnv, s: S, keyPrefix: string): Promise<ReadBackRecord[]>;
  inject(env: DrillEnv, s: S): Promise<Fault>;
  /**
   * Looks at the system itself and says what shows the fault took effect (the process or pod is
   * gone, the leader changed, the ISR shrank, the file differs, writes are refused…), or throws
   * while it cannot see it. The engine asks until `confirmWithinMs` passes; a fault never
   * confirmed makes the run INCONCLUSIVE: a verdict never claims more than was observed.
   */
  confirm(env: DrillEnv, s: S, fault: Fault): Promise<string>;
  /** How long confirm() may take to see the fault (default 15 s). */
  confirmWithinMs?: number;
  /**
   * The runbook's recovery action, where the platform does not heal by itself. Like revert(), it
   * gets no client state: the system may be too broken for open() to succeed.
   */
  remediate?(env: DrillEnv, fault: Fault): Promise<void>;
  /** Redundancy restored (e.g. ISR back to 3). */
  fullyRecovered(env: DrillEnv, s: S, fault: Fault): Promise<boolean>;
  /** Compensation: undoes the fault. Idempotent; must work from a fresh process with only `fault`. */
  revert(env: DrillEnv, fault: Fault): Promise<void>;
  /** Configuration snapshot for the evidence (acks, min ISR, Patroni ttl, EC parity…). */
  config(env: DrillEnv, s: S): Promise<Record<string, unknown>>;
  /** When the remediation runs, relative to T0 (ms); undefined = no remediation step. */
  remediateAfterMs?(options: DrillOptions): number | undefined;
  /** For restore drills: the recovery point (snapshot/backup time) as epoch ms. */
  recoveryPoint?(env: DrillEnv, s: S, fault: Fault): Promise<number | null>;
}

/** What a preflight found about the running system that changes how the run is judged. */
export interface PreflightFindings {
  /** The configuration promises this RPO (e.g. 0 with synchronous replication). */
  rpo?: { rpoMs: number; source: string };
}

export function defineDrill<S>(drill: DrillDefinition<S>): DrillDefinition<S> {
  return drill;
}
