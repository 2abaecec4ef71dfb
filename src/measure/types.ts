// The measurement contract of ../shared/measurement-spec.md as types. Everything under
// src/measure is pure (no I/O, no clocks): instants are passed in as epoch milliseconds.

/** The drill saw its fault take effect on the system (its note says what it saw). */
export const FAULT_CONFIRMED = 'fault-confirmed';
/** The drill looked and could not see its fault take effect (its note says why). */
export const FAULT_UNCONFIRMED = 'fault-unconfirmed';

export type MarkerName =
  'T_steady' | 'T0' | 'T0_done' | 'T_detect' | 'T_service' | 'T_full' | 'T_verified' | string;

export interface Marker {
  marker: MarkerName;
  /** Wall-clock UTC epoch milliseconds, taken in the activity that observed it. */
  at: number;
  note?: string;
}

/** One canary: a write plus a read through the normal client path. */
export interface CanarySample {
  /** When the canary was invoked (epoch ms). */
  at: number;
  /** When it finished (epoch ms). */
  end: number;
  ok: boolean;
  error?: string;
}

export interface RecoveryFigures {
  /** First failed canary after T0; undefined when the fault was never visible to clients. */
  detectAt?: number;
  /** Completion of the first canary of the first run of K consecutive successes after T0. */
  serviceAt?: number;
  /** Last success before detectAt (start of the unavailability window). */
  lastOkBeforeDetectAt?: number;
  serviceMs?: number;
  detectMs?: number;
  /** From the last success before T_detect to T_service; 0 when nothing was detected. */
  unavailableMs?: number;
  /** Canaries started before T_service that had not completed at it (open loop). */
  outstandingAtService?: number;
  ok: number;
  failed: number;
}

export type LedgerOutcome = 'ok' | 'fail' | 'unknown';

/** One acknowledged-write ledger record, as the writer logged it. */
export interface LedgerEntry {
  id: number;
  key: string;
  sha256: string;
  tInvoke: number;
  tAck?: number;
  outcome: LedgerOutcome;
  /** Where the system put it (Kafka partition/offset, LSN, version id…), when it says. */
  position?: string;
  error?: string;
}

/** One record found when reading everything back after recovery. */
export interface ReadBackRecord {
  key: string;
  sha256: string;
}

export interface LedgerClassification {
  acked: number;
  lost: number;
  corrupted: number;
  recovered: number;
  unknown: number;
  failed: number;
  unexpected: number;
  duplicated: number;
  /** RPO (seconds) per the spec: 0 if nothing lost, else (T0 − min tAck of lost) / 1000. */
  seconds: number;
  /** A lost record acknowledged before one that survived. */
  nonPrefix: boolean;
  lostIds: number[];
  corruptedIds: number[];
}

/**
 * FAULT-LEFT: the compensation gave up and the fault is still in place. It outranks every other
 * verdict: whatever was measured, the system was left broken (`firedrill faults` lists it).
 */
export type Verdict = 'MET' | 'BREACHED' | 'ABORTED' | 'INCONCLUSIVE' | 'FAULT-LEFT';

/** Every verdict, in the order the result contract lists them. */
export const VERDICTS: readonly Verdict[] = ['MET', 'BREACHED', 'ABORTED', 'INCONCLUSIVE', 'FAULT-LEFT'];

export interface Targets {
  rtoMs: number;
  /** null: the spec promises no RPO here; it is reported, not judged. */
  rpoMs: number | null;
  source: string;
}

/** The result record. Field names are a contract (measurement spec): add, never rename. */
export interface DrillResult {
  runId: string;
  drill: string;
  variant: string;
  platform: string;
  startedAt: string;
  finishedAt: string;
  verdict: Verdict;
  reason?: string;
  targets: Targets;
  rto: {
    serviceMs: number | null;
    fullMs: number | null;
    detectMs: number | null;
    unavailableMs: number | null;
    probeIntervalMs: number;
    /** Added: the largest start-to-start canary gap from T0 to T_service (the achieved resolution). */
    resolutionMs?: number | null;
    /** Added: a canary slower than this was a failure (measurement spec, "Canaries"). */
    latencyBoundMs?: number | null;
    /** Added: canaries still outstanding at T_service. */
    outstandingAtService?: number | null;
  };
  rpo: {
    acked: number;
    lost: number;
    corrupted: number;
    recovered: number;
    unknown: number;
    unexpected: number;
    duplicated: number;
    seconds: number | null;
    nonPrefix: boolean;
    recoveryPointAt: string | null;
    /** Added: writes definitely rejected (outcome `fail`). */
    failed?: number;
    /** Added: false when the ledger could not be read back (the counts above are then 0, not measured). */
    measured?: boolean;
    /** Added: (T0 − recoveryPointAt) / 1000, to compare with `seconds` on restore drills. */
    recoveryPointSeconds?: number | null;
  };
  timeline: { marker: string; at: string; note?: string }[];
  evidence: {
    ledgerSha256: string | null;
    config: Record<string, unknown>;
    versions: Record<string, string>;
    artifactsDir: string;
    [key: string]: unknown;
  };
  hypothesis?: string;
}
