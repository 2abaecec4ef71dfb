// `--repeat N`: each drill N times, one after another, and what the console says of the repeats —
// the compliance report's per-drill statistics (src/report/stats.ts: min / median / p95 / max RTO,
// each run's verdict) and a flag on a drill whose runs straddle its target, where one run's
// verdict would have been a coin toss. Pure.
import type { DrillResult } from '../measure/types.ts';
import { drillStats, formatMsOrDash, runFiguresFor, type GroupStats } from '../report/stats.ts';
import { UserError } from '../util/errors.ts';

export function parseRepeat(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new UserError(`--repeat "${value}" is not a whole number from 1 to 100`, 'e.g. --repeat 5');
  return n;
}

/** Each run `n` times in a row (repeats of a drill together), each copy with its own run id. */
export function repeatRuns<T extends { runId: string; drill: string; variant?: string }>(
  runs: readonly T[],
  n: number,
  newId: (drill: string, variant: string) => string,
): T[] {
  const seen = new Set(runs.map((r) => r.runId));
  return runs.flatMap((run) =>
    Array.from({ length: n }, (_, i) => {
      if (i === 0) return run;
      let runId = newId(run.drill, run.variant ?? '');
      while (seen.has(runId)) runId = newId(run.drill, run.variant ?? ''); // same second, same suffix
      seen.add(runId);
      return { ...run, runId };
    }),
  );
}

/** Why a drill's runs may fall on both sides of its target, where the system has a known cause. */
const TIMING_CAUSES: [RegExp, string][] = [
  [
    /^timescaledb-/,
    'see Patroni ttl/loop_wait: when the leader key expires decides when the failover starts',
  ],
  [/^kafka-/, "see the controller's session timeout and the client's metadata refresh"],
  [/^minio-/, "see the client's retry backoff"],
  [/^milvus-/, 'see the time Milvus takes to load the collection'],
];

export interface Straddle {
  drill: string;
  variant: string;
  message: string;
}

/** "2 of 5 BREACHED: the result depends on timing — …" for each drill+variant with MET and BREACHED runs. */
export function straddles(groups: readonly (GroupStats & { drill: string; variant: string })[]): Straddle[] {
  return groups
    .filter((g) => g.met > 0 && g.breached > 0)
    .map((g) => {
      const cause = TIMING_CAUSES.find(([re]) => re.test(g.drill))?.[1];
      const range = g.rto
        ? ` (RTO ${formatMsOrDash(g.rto.min)}–${formatMsOrDash(g.rto.max)} vs target ${formatMsOrDash(g.targets.rtoMs)})`
        : '';
      return {
        drill: g.drill,
        variant: g.variant,
        message: `${g.drill}/${g.variant}: ${g.breached} of ${g.runs} BREACHED${range}: the result depends on timing${cause ? ` — ${cause}` : ''}; one run's verdict is not the drill's`,
      };
    });
}

/** Per drill+variant statistics of these results, as the compliance report computes them. */
export function variantStats(
  results: readonly DrillResult[],
): (GroupStats & { drill: string; variant: string })[] {
  return drillStats(runFiguresFor(results, results)).flatMap((d) =>
    d.variants.map((v) => ({ ...v, drill: d.drill })),
  );
}

/** The repeats' table (n, verdicts, min / median / p95 / max RTO(service), target) and the straddle flags. */
export function repeatSummary(results: readonly DrillResult[]): string {
  const groups = variantStats(results);
  const rows = [['drill', 'variant', 'runs', 'verdicts', 'min', 'median', 'p95', 'max', 'target RTO']];
  for (const g of groups) {
    const verdicts = results
      .filter((r) => r.drill === g.drill && r.variant === g.variant)
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt))
      .map((r) => r.verdict)
      .join(' ');
    rows.push([
      g.drill,
      g.variant,
      String(g.runs),
      verdicts,
      formatMsOrDash(g.rto?.min),
      formatMsOrDash(g.rto?.median),
      formatMsOrDash(g.rto?.p95),
      formatMsOrDash(g.rto?.max),
      formatMsOrDash(g.targets.rtoMs),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const out = rows.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  for (const s of straddles(groups)) out.push(`TIMING-DEPENDENT ${s.message}`);
  return out.join('\n');
}
