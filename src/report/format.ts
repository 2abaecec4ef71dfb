// Formatting shared by every report format (pure).
import type { Targets } from '../measure/types.ts';
import type { Drift } from './analysis.ts';

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
