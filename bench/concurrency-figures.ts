// The figures of the concurrency bench (bench/concurrency.ts), computed from three independent
// sources: what each drill answered (its result or its failure), what each calibration instance
// took by its own count (fault commands, effective resets), and the fault journal's rows. The
// must-be-0 figures come from the target's truth and the journal, never from the verdicts alone.
import type { DrillResult } from '../src/measure/types.ts';
import type { InstanceCounts } from '../src/systems/calibration/server.ts';

export interface DrillOutcome {
  instance: string;
  runId: string;
  workflowId: string;
  /** The workflow's result; absent when it failed or did not finish. */
  result?: DrillResult;
  /** Why the workflow failed, or that it did not finish in time. */
  error?: string;
  /** When the result (or failure) came, epoch ms. */
  settledAt?: number;
  /** Still running when the bench stopped waiting (then aborted: its result is not counted). */
  unfinished?: boolean;
}

export interface JournalRow {
  runId: string;
  entry: string;
  kind: string;
  state: string;
  reverts: number;
  reason: string | null;
}

export interface LockRow {
  target: string;
  runId: string;
}

export interface ConcurrencyFigures {
  drills: number;
  finished: number;
  byVerdict: Record<string, number>;
  /** Failed workflows (no result), by their first line. */
  failed: Record<string, number>;
  unfinished: string[];
  /** Instances whose target took more than one fault command. Must be 0. */
  doubleInjections: { count: number; instances: { instance: string; faultCommands: number }[] };
  /**
   * Faults not known undone: journal rows of these runs in a state that may hold a fault (firing,
   * fired, reverting, left), plus instances still in a fault by their own count. Must be 0. Rows
   * still `planned` issued nothing (a drill that ended before firing) and are listed apart.
   */
  faultsLeft: {
    count: number;
    journalRows: JournalRow[];
    instancesFaulted: string[];
    plannedNeverFired: string[];
  };
  /** Effective resets of each instance that took a fault: exactly 1 each. */
  revertsPerFault: {
    faulted: number;
    distribution: Record<string, number>;
    notExactlyOne: { instance: string; effectiveResets: number; faultCommands: number }[];
    /** Resets that found nothing to undo (a repeated revert: harmless, counted for the record). */
    idleResets: number;
  };
  /** Journal and target disagree: a run journaled as fired whose instance took no command. */
  journalWithoutTargetFault: string[];
  locksStillHeld: LockRow[];
  /**
   * Runs whose timeline has T_detect or T_service before T0: markers the watch stamped against the
   * early instant a fault is journaled with while `firing`, never corrected once it was settled.
   */
  markersBeforeT0: { runId: string; markers: { marker: string; msBeforeT0: number }[] }[];
  rtoError: {
    runs: number;
    worstMs: number | null;
    medianMs: number | null;
    p95Ms: number | null;
    worstRunId: string | null;
    /**
     * Over the runs whose watch was never interrupted (largest canary gap after T0 at most
     * UNINTERRUPTED_GAP_MS): the error the load alone causes. A watch that died with its worker is
     * resumed after the heartbeat timeout, and that gap counts as unavailable (over-read, never under).
     */
    worstUninterruptedMs: number | null;
    interruptedRuns: number;
    /** The largest errors with what explains them: the canary gap and the latency bound. */
    largest: { runId: string; errorMs: number; resolutionMs: number | null; latencyBoundMs: number | null }[];
  };
}

/** A canary gap longer than this after T0 means the watch stopped (its worker died) and resumed. */
export const UNINTERRUPTED_GAP_MS = 1_000;

const MAY_HOLD_A_FAULT = ['firing', 'fired', 'reverting', 'left'];

const firstLine = (s: string) => s.split('\n')[0]!.slice(0, 300);

function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export function concurrencyFigures(
  outcomes: DrillOutcome[],
  counts: InstanceCounts[],
  journal: JournalRow[],
  locks: LockRow[],
  outageMs: number,
): ConcurrencyFigures {
  const ours = new Set(outcomes.map((o) => o.instance));
  const countOf = new Map(counts.filter((c) => ours.has(c.instance)).map((c) => [c.instance, c]));
  const byVerdict: Record<string, number> = {};
  const failed: Record<string, number> = {};
  const unfinished: string[] = [];
  for (const o of outcomes) {
    if (o.unfinished || o.settledAt === undefined) unfinished.push(o.runId);
    else if (o.result) byVerdict[o.result.verdict] = (byVerdict[o.result.verdict] ?? 0) + 1;
    else failed[firstLine(o.error ?? 'failed')] = (failed[firstLine(o.error ?? 'failed')] ?? 0) + 1;
  }

  const double = [...countOf.values()]
    .filter((c) => c.faultCommands > 1)
    .map((c) => ({ instance: c.instance, faultCommands: c.faultCommands }));

  const undone = journal.filter((r) => MAY_HOLD_A_FAULT.includes(r.state));
  const faultedNow = [...countOf.values()].filter((c) => c.faulted).map((c) => c.instance);
  const planned = journal.filter((r) => r.state === 'planned').map((r) => `${r.runId}/${r.entry}`);

  const took = [...countOf.values()].filter((c) => c.faultCommands > 0);
  const distribution: Record<string, number> = {};
  for (const c of took)
    distribution[String(c.effectiveResets)] = (distribution[String(c.effectiveResets)] ?? 0) + 1;

  const instanceOfRun = new Map(outcomes.map((o) => [o.runId, o.instance]));
  const journalWithoutTargetFault = journal
    .filter((r) => r.kind === 'fault' && r.state !== 'planned')
    .filter((r) => (countOf.get(instanceOfRun.get(r.runId) ?? '')?.faultCommands ?? 0) === 0)
    .map((r) => r.runId);

  const errors = outcomes
    .filter((o) => !o.unfinished && o.result?.verdict === 'MET' && o.result.rto.serviceMs !== null)
    .map((o) => ({
      runId: o.runId,
      error: Math.abs(o.result!.rto.serviceMs! - outageMs),
      resolutionMs: o.result!.rto.resolutionMs ?? null,
      latencyBoundMs: o.result!.rto.latencyBoundMs ?? null,
    }))
    .sort((a, b) => a.error - b.error);
  const sorted = errors.map((e) => e.error);

  const markersBeforeT0 = outcomes.flatMap((o) => {
    const t0 = o.result?.timeline.find((m) => m.marker === 'T0');
    if (!t0) return [];
    const early = o
      .result!.timeline.filter((m) => ['T_detect', 'T_service'].includes(m.marker) && m.at < t0.at)
      .map((m) => ({ marker: m.marker, msBeforeT0: Date.parse(t0.at) - Date.parse(m.at) }));
    return early.length ? [{ runId: o.runId, markers: early }] : [];
  });

  return {
    drills: outcomes.length,
    finished: outcomes.filter((o) => o.result && !o.unfinished).length,
    byVerdict,
    failed,
    unfinished,
    doubleInjections: { count: double.length, instances: double },
    faultsLeft: {
      count: undone.length + faultedNow.length,
      journalRows: undone,
      instancesFaulted: faultedNow,
      plannedNeverFired: planned,
    },
    revertsPerFault: {
      faulted: took.length,
      distribution,
      notExactlyOne: took
        .filter((c) => c.effectiveResets !== 1)
        .map((c) => ({
          instance: c.instance,
          effectiveResets: c.effectiveResets,
          faultCommands: c.faultCommands,
        })),
      idleResets: [...countOf.values()].reduce((n, c) => n + c.idleResets, 0),
    },
    journalWithoutTargetFault,
    locksStillHeld: locks,
    markersBeforeT0,
    rtoError: {
      runs: errors.length,
      worstMs: sorted.at(-1) ?? null,
      medianMs: quantile(sorted, 0.5),
      p95Ms: quantile(sorted, 0.95),
      worstRunId: errors.at(-1)?.runId ?? null,
      worstUninterruptedMs:
        errors.filter((e) => (e.resolutionMs ?? 0) <= UNINTERRUPTED_GAP_MS).at(-1)?.error ?? null,
      interruptedRuns: errors.filter((e) => (e.resolutionMs ?? 0) > UNINTERRUPTED_GAP_MS).length,
      largest: errors
        .slice(-5)
        .reverse()
        .map((e) => ({
          runId: e.runId,
          errorMs: e.error,
          resolutionMs: e.resolutionMs,
          latencyBoundMs: e.latencyBoundMs,
        })),
    },
  };
}
