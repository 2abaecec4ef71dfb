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

export interface Marker {
  marker: string;
  at: number;
  note?: string;
}

export interface RecordInput {
  injected: boolean;
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
  revertFault(input: DrillInput, plan: DrillPlan, fault: Fault | null): Promise<void>;
  recordResult(input: DrillInput, plan: DrillPlan, outcome: RecordInput): Promise<DrillResult>;
  writeGameDaySummary(outcome: {
    gameDayId: string;
    reportsDir: string;
    startedAt: number;
    finishedAt: number;
    results: unknown[];
  }): Promise<void>;
}
