// Elementary statistics of the compliance report (pure).
import type { Distribution } from './analysis.ts';

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
