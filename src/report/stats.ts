// Figures a compliance report states about drill runs over a period: per run (RTO, RPO, drift against
// the previous run of the same drill and variant) and per drill (n, min / median / p95 / max RTO, max
// RPO, pass rate, observed ÷ target, trend), plus the findings an auditor asks about. Pure: no I/O, no
// clocks; instants come in as the result records' ISO strings and leave as epoch milliseconds.
//
// Method, stated once so every format can print it:
// - pass rate = MET / (MET + BREACHED + INCONCLUSIVE + FAULT-LEFT). A FAULT-LEFT run (the compensation
//   gave up; the fault is still in place) is scored and always a failure: a drill that leaves the
//   system broken did not pass, whatever it measured. ABORTED runs scored nothing (steady state never
//   held, or an operator stopped them): they are counted and listed as findings, not in the rate.
// - RTO figures use RTO(service) of every scored run that measured one (MET, BREACHED, INCONCLUSIVE,
//   FAULT-LEFT: the recovery it watched happened before the revert gave up);
//   a BREACHED run that never recovered before its deadline has none and is counted as "unrecovered".
// - median: the middle value, or the mean of the two middle values. p95: nearest rank (the smallest
//   observed value with at least 95 % of runs at or below it), so it is always a measured figure; with
//   fewer than 20 runs it is the maximum.
// - drift: this run's RTO(service) minus that of the previous run (by start time) of the same drill and
//   variant that measured one, in ms and in % of the previous figure. Runs before the period count as
//   "previous" when the caller passes them.
// - trend: least-squares slope of RTO(service) against start time, in ms per day; needs two runs on
//   different instants.
import type { DrillResult, Targets, Verdict } from '../measure/types.ts';
import {
  chronological,
  DAY_MS,
  isScored,
  startMs,
  type Analysis,
  type Drift,
  type DrillStats,
  type GroupStats,
  type RunFigures,
  type Totals,
} from './analysis.ts';
import { findingsFor, type FindingOptions } from './findings.ts';
import { distribution, leastSquaresSlope, sparkline } from './numbers.ts';

// The pieces live in their own files; callers keep importing them from here.
export * from './analysis.ts';
export * from './findings.ts';
export * from './format.ts';
export * from './numbers.ts';

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
    faultLeft: count('FAULT-LEFT'),
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
    faultLeft: count('FAULT-LEFT'),
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
