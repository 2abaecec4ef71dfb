// What an auditor asks about a period's runs: the findings of the compliance report (pure).
import { isCoarse } from '../measure/recovery.ts';
import type { DrillResult } from '../measure/types.ts';
import { chronological, startMs, type DrillStats, type Finding, type Severity } from './analysis.ts';
import { formatMs as fmtMs } from './format.ts';

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** What an operator runs about a fault left in place (the CLI's `firedrill faults`). */
export const FAULTS_COMMAND = 'firedrill faults';
export const FAULT_REVERT_COMMAND = 'firedrill faults revert <id>';

/** The finding of a FAULT-LEFT run: which run, what is still in place (its reason), and what to run. */
export function faultLeftMessage(r: Pick<DrillResult, 'runId' | 'reason'>): string {
  return (
    `FAULT-LEFT: run ${r.runId} gave up reverting its fault, which is still in place: ${(r.reason ?? 'no reason recorded').replace(/[.\s]+$/, '')}. ` +
    `\`${FAULTS_COMMAND}\` lists what is left; \`${FAULT_REVERT_COMMAND}\` retries the revert.`
  );
}

/** Tolerance between the ledger's RPO (seconds) and T0 − recovery point on restore drills. */
export const RECOVERY_POINT_TOLERANCE_S = 1;

/** What the report needs of an evidence check (src/results/evidence-check.ts makes them). */
export interface EvidenceFinding {
  status: 'ok' | 'missing' | 'ledger-missing' | 'ledger-mismatch';
  /** One sentence for the report; empty when ok. */
  detail: string;
}

/** How a run's detail shows its evidence check. */
export function evidenceNote(e: EvidenceFinding | undefined, ledgerSha256: string | null): string {
  if (!e) return 'not checked';
  if (e.status !== 'ok') return e.detail;
  return ledgerSha256 ? 'present; ledger SHA-256 verified' : 'present (no ledger to verify)';
}

export interface FindingOptions {
  sampleCounts?: ReadonlyMap<string, number>;
  /** By run id; runs without an entry were not checked (e.g. a model built without the disk). */
  evidence?: ReadonlyMap<string, EvidenceFinding>;
}

export function findingsFor(
  results: readonly DrillResult[],
  drills: readonly DrillStats[],
  opts: FindingOptions = {},
): Finding[] {
  const out: Finding[] = [];
  for (const r of [...results].sort(chronological)) {
    const base = { drill: r.drill, variant: r.variant, runId: r.runId, at: startMs(r) };
    const measured = r.rpo.measured !== false;
    // Every run, aborted ones included: its evidence is what an auditor re-checks.
    const evidence = opts.evidence?.get(r.runId);
    if (evidence && evidence.status !== 'ok') {
      const mismatch = evidence.status !== 'missing';
      out.push({
        ...base,
        severity: mismatch ? 'high' : 'medium',
        kind: mismatch ? 'evidence-mismatch' : 'evidence-missing',
        message: evidence.detail,
      });
    }
    // Before everything else about the run: the system is still broken.
    if (r.verdict === 'FAULT-LEFT') {
      out.push({ ...base, severity: 'critical', kind: 'fault-left', message: faultLeftMessage(r) });
    }
    if (r.verdict === 'BREACHED') {
      const rto =
        r.rto.serviceMs === null
          ? `service not recovered before the deadline (target ${fmtMs(r.targets.rtoMs)})`
          : `RTO ${fmtMs(r.rto.serviceMs)} vs target ${fmtMs(r.targets.rtoMs)}`;
      out.push({
        ...base,
        severity: 'high',
        kind: 'breach',
        message: `BREACHED: ${r.reason ?? 'no reason recorded'} (${rto})`,
      });
    }
    if (r.verdict === 'INCONCLUSIVE') {
      out.push({
        ...base,
        severity: 'medium',
        kind: 'inconclusive',
        message: `INCONCLUSIVE: ${r.reason ?? 'no reason recorded'}`,
      });
    }
    if (r.verdict === 'ABORTED') {
      out.push({
        ...base,
        severity: 'low',
        kind: 'aborted',
        message: `ABORTED, nothing scored: ${r.reason ?? 'no reason recorded'}`,
      });
      continue; // nothing else about an unscored run is evidence
    }
    if (measured && r.rpo.nonPrefix) {
      out.push({
        ...base,
        severity: 'high',
        kind: 'non-prefix-loss',
        message: `non-prefix loss: a lost write was acknowledged before one that survived (${r.rpo.lost} lost) — a consistency bug, not only a recovery point`,
      });
    }
    if (measured && (r.rpo.unexpected > 0 || r.rpo.duplicated > 0)) {
      out.push({
        ...base,
        severity: 'medium',
        kind: 'data-anomaly',
        message: `read-back found ${r.rpo.unexpected} unexpected and ${r.rpo.duplicated} duplicated records`,
      });
    }
    const rp = r.rpo.recoveryPointSeconds;
    if (measured && rp !== undefined && rp !== null && r.rpo.seconds !== null) {
      if (Math.abs(rp - r.rpo.seconds) > RECOVERY_POINT_TOLERANCE_S) {
        out.push({
          ...base,
          severity: 'medium',
          kind: 'recovery-point-mismatch',
          message: `T0 − recovery point = ${rp} s but the ledger's RPO is ${r.rpo.seconds} s (they must agree within ${RECOVERY_POINT_TOLERANCE_S} s)`,
        });
      }
    }
    const resolution = r.rto.resolutionMs;
    if (resolution !== undefined && resolution !== null && isCoarse(resolution, r.rto.probeIntervalMs)) {
      out.push({
        ...base,
        severity: 'medium',
        kind: 'coarse-resolution',
        message: `the recovery was watched every ${fmtMs(resolution)} at worst, not every ${fmtMs(r.rto.probeIntervalMs)}: the RTO is only known to within ${fmtMs(resolution)}`,
      });
    }
    const gaps: string[] = [];
    if (measured && r.evidence.ledgerSha256 === null) gaps.push('no ledger SHA-256');
    if (opts.sampleCounts && (opts.sampleCounts.get(r.runId) ?? 0) === 0)
      gaps.push('no raw canary samples stored');
    if (!r.timeline.some((m) => m.marker === 'T0')) gaps.push('no T0 marker');
    if (gaps.length) {
      out.push({
        ...base,
        severity: 'medium',
        kind: 'evidence-gap',
        message: `evidence gap: ${gaps.join('; ')}`,
      });
    }
  }
  for (const d of drills) {
    const at = d.latest.startedAtMs;
    if (d.targets.rpoMs === null && d.scored > 0) {
      const lost = d.maxRpo.count;
      out.push({
        drill: d.drill,
        at,
        severity: lost ? 'medium' : 'info',
        kind: 'rpo-not-promised',
        message:
          `no RPO is promised (${d.targets.source}); it is reported, not judged: ` +
          (lost === null
            ? 'no ledger was measured'
            : `at most ${lost} acknowledged writes lost` +
              (d.maxRpo.seconds !== null ? ` / ${d.maxRpo.seconds} s` : '') +
              ` over ${d.maxRpo.measuredRuns} measured runs`),
      });
    }
    if (d.targetsVaried) {
      const seen = [...new Set(d.trend.points.map((p) => p.targetRtoMs))].map(fmtMs);
      out.push({
        drill: d.drill,
        at,
        severity: 'low',
        kind: 'target-changed',
        message: `targets differ between runs in this period (RTO ${seen.join(', ')}); figures compare with the latest target`,
      });
    }
  }
  return out.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.drill < b.drill ? -1 : a.drill > b.drill ? 1 : 0) ||
      a.at - b.at,
  );
}
