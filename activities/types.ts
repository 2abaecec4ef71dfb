// The activity interface the workflows orchestrate. Workflows import these *types* only.
import type { Fault } from '../src/drill/definition.ts';
import type { DrillPlan } from '../src/drill/validate.ts';
import type { LatencyBound } from '../src/measure/recovery.ts';
import type { DrillResult, LedgerClassification, RecoveryFigures } from '../src/measure/types.ts';
import type { PlatformRef } from '../src/platform/platform.ts';

export interface DrillInput {
  runId: string;
  drill: string;
  variant?: string;
  options?: Record<string, unknown>;
  targets?: { rto?: string | number; rpo?: string | number };
  deadline?: string | number;
  platform: PlatformRef;
  /** Where reports/<runId>/ goes (absolute). */
  reportsDir: string;
  /** Revert attempts before the fault is declared left in place (default 20; tests shorten it). */
  revertAttempts?: number;
}

export interface WatchSummary {
  recovery: RecoveryFigures;
  fullAt?: number;
  deadlineHit: boolean;
  /** Canary starts skipped because too many were outstanding. */
  skipped?: number;
  markers: { marker: string; at: number; note?: string }[];
}

export interface SteadySummary {
  ok: boolean;
  at: number;
  reason?: string;
  /** The latency bound the recovery watch judges canaries by. */
  latency?: LatencyBound;
}

export interface VerifySummary {
  ledger: LedgerClassification | null;
  inconclusiveReason?: string;
  recoveryPointAt?: number | null;
}

/** A journaled effect the compensation could not undo. */
export interface LeftFault {
  /** Its journal id: `firedrill faults revert <id>` retries it. */
  id: number;
  description: string;
  touched: string[];
}

export interface Marker {
  marker: string;
  at: number;
  note?: string;
}

export interface RecordInput {
  injected: boolean;
  /** The compensation gave up: what is still broken (the verdict is FAULT-LEFT). */
  faultLeftReason?: string;
  /**
   * The timeline as the workflow knows it (from every step's answer, on whichever worker it ran):
   * the record merges it with this worker's files, which may have seen only part of the run.
   */
  markers?: Marker[];
  /** When the workflow started (the run folder that knew it may be another worker's). */
  startedAt?: number;
  latency?: LatencyBound | null;
  abortedReason?: string;
  errorReason?: string;
  watch: WatchSummary | null;
  verify: VerifySummary | null;
  workflowId: string;
}

export interface DrillActivities {
  /** Validation only: the drill definition, its options and targets, against the topology model. */
  planDrill(input: DrillInput): Promise<DrillPlan>;
  /**
   * The drill's own checks of the system under test (its clients opened), before any fault. Answers
   * the plan, with the RPO target the running configuration promises where the model left it open.
   */
  preflightDrill(input: DrillInput, plan: DrillPlan): Promise<DrillPlan>;
  awaitSteadyState(input: DrillInput, plan: DrillPlan): Promise<SteadySummary>;
  runLedger(input: DrillInput, plan: DrillPlan): Promise<void>;
  awaitLedger(input: DrillInput, plan: DrillPlan): Promise<number>;
  stopLedger(input: DrillInput): Promise<void>;
  /**
   * Fires the fault at most once, then asks the drill to confirm it on the system; answers it with
   * the run's T0, T0_done and confirmation markers.
   */
  injectFault(input: DrillInput, plan: DrillPlan): Promise<{ fault: Fault; markers: Marker[] }>;
  watchRecovery(input: DrillInput, plan: DrillPlan, latencyBoundMs: number): Promise<WatchSummary>;
  remediate(input: DrillInput, plan: DrillPlan, fault: Fault): Promise<void>;
  verifyData(input: DrillInput, plan: DrillPlan): Promise<VerifySummary>;
  /** Reverts every journaled effect of the run not yet reverted (the fault, then preparations). */
  revertFault(input: DrillInput, plan: DrillPlan, fault: Fault | null): Promise<void>;
  /** The compensation gave up: journals what is left in place, and answers it. */
  markFaultLeft(input: DrillInput, plan: DrillPlan, reason: string): Promise<LeftFault[]>;
  /** Frees the run's target, unless something of the run is not known to be reverted. */
  releaseTarget(input: DrillInput, plan: DrillPlan): Promise<boolean>;
  recordResult(input: DrillInput, plan: DrillPlan, outcome: RecordInput): Promise<DrillResult>;
  writeGameDaySummary(outcome: {
    gameDayId: string;
    reportsDir: string;
    startedAt: number;
    finishedAt: number;
    results: unknown[];
  }): Promise<void>;
}
