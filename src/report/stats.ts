// Figures a compliance report states about drill runs over a period: per run (RTO, RPO, drift against
// the previous run of the same drill and variant) and per drill (n, min / median / p95 / max RTO, max
// RPO, pass rate, observed ÷ target, trend), plus the findings an auditor asks about. Pure: no I/O, no
// clocks; instants come in as the result records' ISO strings and leave as epoch milliseconds.
//
// Method, stated once so every format can print it:
// - pass rate = MET / (MET + BREACHED + INCONCLUSIVE). ABORTED runs scored nothing (steady state never
//   held, or an operator stopped them): they are counted and listed as findings, not in the rate.
// - RTO figures use RTO(service) of every scored run that measured one (MET, BREACHED, INCONCLUSIVE);
//   a BREACHED run that never recovered before its deadline has none and is counted as "unrecovered".
// - median: the middle value, or the mean of the two middle values. p95: nearest rank (the smallest
//   observed value with at least 95 % of runs at or below it), so it is always a measured figure; with
//   fewer than 20 runs it is the maximum.
// - drift: this run's RTO(service) minus that of the previous run (by start time) of the same drill and
//   variant that measured one, in ms and in % of the previous figure. Runs before the period count as
//   "previous" when the caller passes them.
// - trend: least-squares slope of RTO(service) against start time, in ms per day; needs two runs on
//   different instants.
import { isCoarse } from '../measure/recovery.ts';
import type { DrillResult, Targets, Verdict } from '../measure/types.ts';

export const DAY_MS = 86_400_000;

export interface Distribution {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
}

export interface Drift {
  previousRunId: string;
  previousMs: number;
  deltaMs: number;
  /** null when the previous figure is 0. */
  deltaPct: number | null;
}

export interface RunFigures {
  runId: string;
  drill: string;
  variant: string;
  verdict: Verdict;
  reason?: string;
  startedAtMs: number;
  scored: boolean;
  rtoServiceMs: number | null;
  rtoFullMs: number | null;
  targets: Targets;
  /** RPO (count) = lost + corrupted; null when the ledger was not measured or the run was not scored. */
  rpoCount: number | null;
  rpoSeconds: number | null;
  nonPrefix: boolean;
  /** RTO(service) ≤ target; false when a scored run never recovered; null when not scored. */
  rtoWithinTarget: boolean | null;
  /** null when the run was not scored, nothing was measured, or no RPO is promised. */
  rpoWithinTarget: boolean | null;
  drift: Drift | null;
}

export interface TrendPoint {
  runId: string;
  variant: string;
  at: number;
  rtoMs: number | null;
  targetRtoMs: number;
  verdict: Verdict;
}

export interface GroupStats {
  runs: number;
  met: number;
  breached: number;
  inconclusive: number;
  aborted: number;
  scored: number;
  /** MET / scored, 0..1; null when nothing was scored. */
  passRate: number | null;
  rto: Distribution | null;
  rtoFull: Distribution | null;
  /** Scored runs without an RTO(service): never recovered before the deadline, or not measured. */
  unrecovered: number;
  maxRpo: {
    /** Largest RPO (count) over runs whose ledger was measured; null when none was. */
    count: number | null;
    countRunId: string | null;
    seconds: number | null;
    secondsRunId: string | null;
    measuredRuns: number;
  };
  /** The targets of the latest run (overrides can change them; see targetsVaried). */
  targets: Targets;
  targetsVaried: boolean;
  /** median RTO(service) ÷ target RTO; > 1 means the typical run misses the objective. */
  observedOverTarget: number | null;
  trend: {
    slopeMsPerDay: number | null;
    /** RTO(service) of each scored run in start order; null where none was measured. */
    series: (number | null)[];
    sparkline: string;
    points: TrendPoint[];
  };
  latest: RunFigures;
}

export interface VariantStats extends GroupStats {
  variant: string;
}

export interface DrillStats extends GroupStats {
  drill: string;
  variants: VariantStats[];
}

export type FindingKind =
  | 'evidence-missing'
  | 'evidence-mismatch'
  | 'breach'
  | 'non-prefix-loss'
  | 'inconclusive'
  | 'aborted'
  | 'rpo-not-promised'
  | 'data-anomaly'
  | 'recovery-point-mismatch'
  | 'target-changed'
  | 'evidence-gap'
  | 'coarse-resolution';

export type Severity = 'high' | 'medium' | 'low' | 'info';

export interface Finding {
  severity: Severity;
  kind: FindingKind;
  drill: string;
  variant?: string;
  runId?: string;
  /** Epoch ms of the run (or of the latest run, for drill-wide findings). */
  at: number;
  message: string;
}

export interface Totals {
  runs: number;
  drills: number;
  met: number;
  breached: number;
  inconclusive: number;
  aborted: number;
  passRate: number | null;
}

export interface Analysis {
  runs: RunFigures[];
  drills: DrillStats[];
  findings: Finding[];
  totals: Totals;
}

export const METHOD_NOTES: string[] = [
  'Pass rate = MET ÷ (MET + BREACHED + INCONCLUSIVE). ABORTED runs scored nothing (steady state never held, or an operator stopped them); they are counted and listed as findings but left out of the rate.',
  'RTO figures are RTO(service) = T_service − T0 of every scored run that measured one; scored runs that never recovered before their deadline are counted as "unrecovered".',
  'Median is the middle value (mean of the two middle values for an even count); p95 is the nearest-rank 95th percentile, always an observed value — with fewer than 20 runs it equals the maximum.',
  'RPO (count) = lost + corrupted acknowledged writes; RPO (seconds) = T0 − oldest acknowledged write that did not survive.',
  'Observed ÷ target = median RTO(service) ÷ target RTO of the latest run.',
  'Drift = this run’s RTO(service) minus that of the previous run of the same drill and variant that measured one (also as % of it).',
  'Trend = least-squares slope of RTO(service) against start time, per day.',
];

const SEVERITY_ORDER: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };

// ---------------------------------------------------------------------------------------------------
// Elementary statistics

/** Median of ascending values. */
export function median(sorted: readonly number[]): number {
  if (sorted.length === 0) throw new RangeError('median of no values');
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile of ascending values: the value at rank ⌈p/100 · n⌉ (1-based). */
export function percentileNearestRank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
  // The epsilon keeps 0.95 · 20 = 19.000000000000004 at rank 19.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[rank - 1]!;
}

export function distribution(values: readonly number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted[0]!,
    median: median(sorted),
    p95: percentileNearestRank(sorted, 95),
    max: sorted[sorted.length - 1]!,
  };
}

/** Least-squares slope dy/dx; null with fewer than two points or when every x is the same. */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  return sxx === 0 ? null : sxy / sxx;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A text sparkline, scaled from 0 to the largest value; '×' where nothing was measured. */
export function sparkline(values: readonly (number | null)[]): string {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  return values
    .map((v) => {
      if (v === null) return '×';
      if (max === 0) return BARS[0];
      return BARS[Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1)))];
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------------
// Per run

const startMs = (r: DrillResult) => Date.parse(r.startedAt);
const chronological = (a: DrillResult, b: DrillResult) =>
  startMs(a) - startMs(b) || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);

export const isScored = (v: Verdict) => v !== 'ABORTED';

function figures(r: DrillResult, drift: Drift | null): RunFigures {
  const scored = isScored(r.verdict);
  const measured = scored && r.rpo.measured !== false;
  const rpoCount = measured ? r.rpo.lost + r.rpo.corrupted : null;
  const rpoSeconds = measured ? r.rpo.seconds : null;
  const service = scored ? r.rto.serviceMs : null;
  return {
    runId: r.runId,
    drill: r.drill,
    variant: r.variant,
    verdict: r.verdict,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    startedAtMs: startMs(r),
    scored,
    rtoServiceMs: service,
    rtoFullMs: scored ? r.rto.fullMs : null,
    targets: r.targets,
    rpoCount,
    rpoSeconds,
    nonPrefix: measured && r.rpo.nonPrefix,
    rtoWithinTarget: !scored ? null : service === null ? false : service <= r.targets.rtoMs,
    rpoWithinTarget:
      !measured || r.targets.rpoMs === null
        ? null
        : r.targets.rpoMs === 0
          ? rpoCount === 0
          : (rpoSeconds ?? 0) * 1000 <= r.targets.rpoMs,
    drift,
  };
}

/**
 * Figures of each run in `period`, in start order. `history` holds every run the caller knows of (it
 * may reach before the period): drift looks back into it for the previous run of the same drill+variant.
 */
export function runFiguresFor(period: readonly DrillResult[], history: readonly DrillResult[]): RunFigures[] {
  const previous = new Map<string, DrillResult[]>(); // drill␟variant → measured runs, in start order
  for (const r of [...history, ...period].sort(chronological)) {
    if (!isScored(r.verdict) || r.rto.serviceMs === null) continue;
    const key = `${r.drill}\u241f${r.variant}`;
    const list = previous.get(key) ?? [];
    if (!list.some((x) => x.runId === r.runId)) list.push(r);
    previous.set(key, list);
  }
  return [...period].sort(chronological).map((r) => {
    let drift: Drift | null = null;
    if (isScored(r.verdict) && r.rto.serviceMs !== null) {
      const list = previous.get(`${r.drill}\u241f${r.variant}`) ?? [];
      const before = list.filter((x) => x.runId !== r.runId && chronological(x, r) < 0);
      const prev = before[before.length - 1];
      if (prev && prev.rto.serviceMs !== null) {
        const deltaMs = r.rto.serviceMs - prev.rto.serviceMs;
        drift = {
          previousRunId: prev.runId,
          previousMs: prev.rto.serviceMs,
          deltaMs,
          deltaPct: prev.rto.serviceMs === 0 ? null : (deltaMs / prev.rto.serviceMs) * 100,
        };
      }
    }
    return figures(r, drift);
  });
}

// ---------------------------------------------------------------------------------------------------
// Per drill (and per variant)

const sameTargets = (a: Targets, b: Targets) => a.rtoMs === b.rtoMs && a.rpoMs === b.rpoMs;

/** Statistics of one group of runs (already in start order, at least one). */
export function groupStats(runs: readonly RunFigures[]): GroupStats {
  if (runs.length === 0) throw new RangeError('statistics of no runs');
  const count = (v: Verdict) => runs.filter((r) => r.verdict === v).length;
  const scoredRuns = runs.filter((r) => r.scored);
  const met = count('MET');
  const service = scoredRuns.map((r) => r.rtoServiceMs).filter((v): v is number => v !== null);
  const full = scoredRuns.map((r) => r.rtoFullMs).filter((v): v is number => v !== null);
  const latest = runs[runs.length - 1]!;
  const rto = distribution(service);

  let maxCount: { v: number; runId: string } | null = null;
  let maxSeconds: { v: number; runId: string } | null = null;
  let measuredRuns = 0;
  for (const r of scoredRuns) {
    if (r.rpoCount === null) continue;
    measuredRuns++;
    if (!maxCount || r.rpoCount > maxCount.v) maxCount = { v: r.rpoCount, runId: r.runId };
    if (r.rpoSeconds !== null && (!maxSeconds || r.rpoSeconds > maxSeconds.v)) {
      maxSeconds = { v: r.rpoSeconds, runId: r.runId };
    }
  }

  const slope = leastSquaresSlope(
    scoredRuns
      .filter((r) => r.rtoServiceMs !== null)
      .map((r) => ({ x: r.startedAtMs / DAY_MS, y: r.rtoServiceMs! })),
  );
  const series = scoredRuns.map((r) => r.rtoServiceMs);

  return {
    runs: runs.length,
    met,
    breached: count('BREACHED'),
    inconclusive: count('INCONCLUSIVE'),
    aborted: count('ABORTED'),
    scored: scoredRuns.length,
    passRate: scoredRuns.length ? met / scoredRuns.length : null,
    rto,
    rtoFull: distribution(full),
    unrecovered: scoredRuns.filter((r) => r.rtoServiceMs === null).length,
    maxRpo: {
      count: maxCount?.v ?? null,
      countRunId: maxCount?.runId ?? null,
      seconds: maxSeconds?.v ?? null,
      secondsRunId: maxSeconds?.runId ?? null,
      measuredRuns,
    },
    targets: latest.targets,
    targetsVaried: runs.some((r) => !sameTargets(r.targets, latest.targets)),
    observedOverTarget: rto && latest.targets.rtoMs > 0 ? rto.median / latest.targets.rtoMs : null,
    trend: {
      slopeMsPerDay: slope,
      series,
      sparkline: sparkline(series),
      points: scoredRuns.map((r) => ({
        runId: r.runId,
        variant: r.variant,
        at: r.startedAtMs,
        rtoMs: r.rtoServiceMs,
        targetRtoMs: r.targets.rtoMs,
        verdict: r.verdict,
      })),
    },
    latest,
  };
}

/** Per-drill statistics (with a per-variant breakdown), drills by name. */
export function drillStats(runs: readonly RunFigures[]): DrillStats[] {
  const byDrill = new Map<string, RunFigures[]>();
  for (const r of [...runs].sort((a, b) => a.startedAtMs - b.startedAtMs)) {
    byDrill.set(r.drill, [...(byDrill.get(r.drill) ?? []), r]);
  }
  return [...byDrill.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([drill, list]) => {
      const variants = [...new Set(list.map((r) => r.variant))].sort();
      return {
        drill,
        ...groupStats(list),
        variants: variants.map((variant) => ({
          variant,
          ...groupStats(list.filter((r) => r.variant === variant)),
        })),
      };
    });
}

// ---------------------------------------------------------------------------------------------------
// Findings

// Formatting shared by every format (pure).

/** 87 → "87 ms", 2039 → "2.039 s", 300000 → "5 min", 5400000 → "1.5 h"; negative values keep their sign. */
export function formatMs(ms: number): string {
  const sign = ms < 0 ? '−' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${+a.toFixed(1)} ms`;
  if (a < 60_000) return `${sign}${+(a / 1000).toFixed(3)} s`;
  if (a < 3_600_000) return `${sign}${+(a / 60_000).toFixed(2)} min`;
  return `${sign}${+(a / 3_600_000).toFixed(2)} h`;
}

/** 1 → "1 run", 3 → "3 runs". */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const formatMsOrDash = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '—' : formatMs(ms);

/** 0.5 → "50%"; null → "—". */
export const formatRate = (r: number | null) => (r === null ? '—' : `${+(r * 100).toFixed(1)}%`);

export function formatDrift(d: Drift | null): string {
  if (!d) return '—';
  const sign = d.deltaMs > 0 ? '+' : d.deltaMs < 0 ? '−' : '±';
  const pct = d.deltaPct === null ? '' : ` (${sign}${+Math.abs(d.deltaPct).toFixed(1)}%)`;
  return `${sign}${formatMs(Math.abs(d.deltaMs))}${pct}`;
}

export function formatSlope(msPerDay: number | null): string {
  if (msPerDay === null) return '—';
  const sign = msPerDay > 0 ? '+' : msPerDay < 0 ? '−' : '±';
  return `${sign}${formatMs(Math.abs(msPerDay))}/day`;
}

export const formatRpoTarget = (t: Targets) =>
  t.rpoMs === null ? 'not promised' : t.rpoMs === 0 ? '0 (no loss)' : formatMs(t.rpoMs);

/** Observed ÷ target: 0.8234 → "0.82×", 0.0026 → "0.0026×"; null → "—". */
export function formatRatio(r: number | null): string {
  if (r === null) return '—';
  return `${r >= 0.1 || r === 0 ? r.toFixed(2) : +r.toPrecision(2)}×`;
}

const fmtMs = formatMs;

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

// ---------------------------------------------------------------------------------------------------

export function totalsOf(runs: readonly RunFigures[], drills: number): Totals {
  const count = (v: Verdict) => runs.filter((r) => r.verdict === v).length;
  const scored = runs.filter((r) => r.scored).length;
  return {
    runs: runs.length,
    drills,
    met: count('MET'),
    breached: count('BREACHED'),
    inconclusive: count('INCONCLUSIVE'),
    aborted: count('ABORTED'),
    passRate: scored ? count('MET') / scored : null,
  };
}

/**
 * Everything the report states about the runs started in [sinceMs, untilMs] (optionally one drill).
 * `all` may hold older runs: they serve only as the previous run for drift.
 */
export function analyse(
  all: readonly DrillResult[],
  period: { sinceMs: number; untilMs: number; drill?: string },
  opts: FindingOptions = {},
): Analysis {
  const relevant = all.filter((r) => period.drill === undefined || r.drill === period.drill);
  const inPeriod = relevant.filter((r) => {
    const t = startMs(r);
    return t >= period.sinceMs && t <= period.untilMs;
  });
  const history = relevant.filter((r) => startMs(r) < period.sinceMs);
  const runs = runFiguresFor(inPeriod, history);
  const drills = drillStats(runs);
  return {
    runs,
    drills,
    findings: findingsFor(inPeriod, drills, opts),
    totals: totalsOf(runs, drills.length),
  };
}
