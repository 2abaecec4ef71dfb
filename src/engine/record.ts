// Turns a run's raw evidence (files) and the workflow's outcome into the result record.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { DrillPlan } from '../drill/validate.ts';
import { buildResult } from '../measure/result.ts';
import { achievedResolutionMs, recoveryFigures, type LatencyBound } from '../measure/recovery.ts';
import {
  FAULT_CONFIRMED,
  type DrillResult,
  type Marker,
  type LedgerClassification,
  type RecoveryFigures,
} from '../measure/types.ts';
import { decideVerdict, unconfirmedInjectionReason } from '../measure/verdict.ts';
import type { RunFiles } from './run-files.ts';
import { scrubSecrets } from '../util/secrets.ts';

export interface RecordOutcome {
  injected: boolean;
  /** The compensation gave up (verdict FAULT-LEFT). */
  faultLeftReason?: string;
  /** Markers known beyond this worker's files (the workflow's, the journal's T0). */
  markers?: Marker[];
  /** The steady state's latency bound (absent when the run never reached a steady state). */
  latency?: LatencyBound | null;
  abortedReason?: string;
  errorReason?: string;
  verify: {
    ledger: LedgerClassification | null;
    inconclusiveReason?: string;
    recoveryPointAt?: number | null;
  } | null;
}

/**
 * This worker's markers with those known elsewhere, each once (same marker, same instant), in
 * time order: steps of one run may have run on workers with different run folders.
 */
export function mergeMarkers(local: readonly Marker[], known: readonly Marker[]): Marker[] {
  const seen = new Set<string>();
  const out: Marker[] = [];
  for (const m of [...local, ...known]) {
    const key = `${m.marker}@${m.at}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m);
  }
  return out.sort((a, b) => a.at - b.at);
}

export function sha256File(path: string): string | null {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : null;
}

export function composeResult(args: {
  runId: string;
  platform: string;
  plan: DrillPlan;
  files: RunFiles;
  outcome: RecordOutcome;
  config: Record<string, unknown>;
  versions: Record<string, string>;
  startedAt: number;
  cwd?: string;
}): DrillResult {
  const { plan, files, outcome } = args;
  const known = outcome.markers ?? [];
  const markers = mergeMarkers(files.markers(), known);
  const t0 = markers.find((m) => m.marker === 'T0')?.at;
  const fullAt = markers.find((m) => m.marker === 'T_full')?.at;
  const canaries = files.canaries();
  const latencyBoundMs = outcome.latency?.boundMs ?? null;
  const recovery: RecoveryFigures =
    t0 !== undefined
      ? recoveryFigures(canaries, t0, { k: plan.consecutiveOk, latencyBoundMs: latencyBoundMs ?? undefined })
      : { ok: 0, failed: 0 };
  const resolutionMs = t0 !== undefined ? achievedResolutionMs(canaries, t0, recovery.serviceAt) : undefined;
  const injected = outcome.injected && t0 !== undefined;
  const ledger = outcome.verify?.ledger ?? null;
  const inconclusiveReason =
    (injected ? unconfirmedInjectionReason(markers, recovery.detectAt) : undefined) ??
    outcome.verify?.inconclusiveReason ??
    (injected && outcome.errorReason
      ? `the drill failed after injection: ${outcome.errorReason}`
      : undefined);
  const abortedReason =
    outcome.abortedReason ??
    (!injected && outcome.errorReason ? `nothing was injected: ${outcome.errorReason}` : undefined);
  const { verdict, reason } = decideVerdict({
    faultLeftReason: outcome.faultLeftReason,
    abortedReason,
    injected,
    inconclusiveReason,
    faultConfirmed: markers.some((m) => m.marker === FAULT_CONFIRMED),
    samplesAfterT0: t0 !== undefined ? canaries.filter((c) => c.end > t0).length : 0,
    targets: plan.targets,
    recovery,
    ledger,
    deadlineMs: plan.deadlineMs,
  });
  const finishedAt = Date.now();
  files.mark('T_recorded', finishedAt);
  return buildResult({
    runId: args.runId,
    drill: plan.drill,
    variant: plan.variant,
    platform: args.platform,
    hypothesis: plan.hypothesis,
    startedAt: args.startedAt,
    finishedAt,
    targets: plan.targets,
    verdict,
    reason,
    markers: mergeMarkers(files.markers(), known),
    recovery,
    fullAt,
    t0,
    probeIntervalMs: plan.probeIntervalMs,
    resolutionMs: resolutionMs ?? null,
    latencyBoundMs,
    ledger,
    recoveryPointAt: outcome.verify?.recoveryPointAt ?? null,
    ledgerSha256: sha256File(files.ledgerFile),
    config: scrubSecrets(args.config), // stored in result.json and the results table: no secret
    versions: args.versions,
    artifactsDir: relative(args.cwd ?? process.cwd(), files.dir) + '/',
    extraEvidence: {
      deadlineMs: plan.deadlineMs,
      consecutiveOk: plan.consecutiveOk,
      // How the canaries were judged; what they achieved is in rto (resolution, outstanding).
      canaries: {
        intervalMs: plan.probeIntervalMs,
        timeoutMs: plan.probeTimeoutMs,
        latencyBound: outcome.latency ?? null,
      },
      options: plan.options,
      scenario: plan.scenario,
      component: plan.component,
      target: plan.target,
    },
  });
}
