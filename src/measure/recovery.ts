// RTO figures from the raw canary samples (measurement spec, "Clocks and instants" and "Canaries",
// revised 2026-12-01). Pure: every instant is passed in.
//
// Canaries run open loop: one starts every probe interval whether or not earlier ones have
// finished, so samples overlap. A sample is a *success* when it completed without error within the
// latency bound; anything else (an error, a timeout, an answer slower than the bound) is a failure.
// A success is credited at its *completion*: a request held during the outage and answered when
// service returned proves the service was back when the answer came, not when it was sent. Runs of
// K consecutive successes are counted in *start* order.
import type { CanarySample, RecoveryFigures } from './types.ts';

export interface RecoveryOptions {
  /** Consecutive successes that make a recovery (K, default 5). */
  k?: number;
  /** A sample slower than this (end − at) is a failure (default: no bound). */
  latencyBoundMs?: number;
  /**
   * Start instants of canaries still outstanding. A run of K is only final once no canary started
   * at or before its last member is still waiting for its outcome: that canary could still fail
   * (breaking the run) or succeed (starting an earlier one).
   */
  pendingStarts?: readonly number[];
}

/** Orders samples by start; ties by completion, then failures first: never by arrival order. */
export function sortSamples(samples: readonly CanarySample[]): CanarySample[] {
  return [...samples].sort((a, b) => a.at - b.at || a.end - b.end || Number(a.ok) - Number(b.ok));
}

/** Completed without error within the latency bound. */
export function isSuccess(s: CanarySample, latencyBoundMs = Infinity): boolean {
  return s.ok && s.end - s.at <= latencyBoundMs;
}

function options(opts: RecoveryOptions | number | undefined): Required<
  Omit<RecoveryOptions, 'pendingStarts'>
> & {
  pendingStarts: readonly number[];
} {
  const o = typeof opts === 'number' ? { k: opts } : (opts ?? {});
  const k = o.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const latencyBoundMs = o.latencyBoundMs ?? Infinity;
  if (!(latencyBoundMs > 0)) throw new RangeError(`latencyBoundMs must be positive, got ${latencyBoundMs}`);
  return { k, latencyBoundMs, pendingStarts: o.pendingStarts ?? [] };
}

/**
 * The recovery figures of one drill.
 *
 * - A sample *counts after T0* when it completed after T0: started after it, or in flight across it
 *   (a canary sent just before the fault that then hangs is the fault seen by a client).
 * - `detectAt`: the first failure after T0 in start order, at its start (but not before T0).
 * - `serviceAt`: the completion of the first sample of the first run of K successes (start order)
 *   after T0 — after the first failure when the fault became visible (successes before it were the
 *   fault not visible yet). A run broken by a failure starts over. None: not recovered.
 * - `lastOkBeforeDetectAt`: the latest completion of a success that completed before `detectAt`.
 * - `unavailableMs` = serviceAt − lastOkBeforeDetectAt (T0 when there was none); 0 when nothing was
 *   detected and the service held; undefined when the service never came back.
 * - `outstandingAtService`: canaries started before T_service that had not completed at it.
 */
export function recoveryFigures(
  samples: readonly CanarySample[],
  t0: number,
  opts?: RecoveryOptions | number,
): RecoveryFigures {
  const { k, latencyBoundMs, pendingStarts } = options(opts);
  const ok = (s: CanarySample) => isSuccess(s, latencyBoundMs);
  const sorted = sortSamples(samples);
  const after = sorted.filter((s) => s.end > t0);
  const okCount = after.filter(ok).length;
  const figures: RecoveryFigures = { ok: okCount, failed: after.length - okCount };

  const detectIndex = after.findIndex((s) => !ok(s));
  const detectAt = detectIndex >= 0 ? Math.max(after[detectIndex]!.at, t0) : undefined;

  let serviceAt: number | undefined;
  let run = 0;
  for (let i = detectIndex + 1; i < after.length; i++) {
    const s = after[i]!;
    run = ok(s) ? run + 1 : 0;
    if (run === k) {
      // Final only when nothing started up to the run's last member is still outstanding.
      if (!pendingStarts.some((p) => p <= s.at)) serviceAt = after[i - k + 1]!.end;
      break;
    }
  }

  if (detectAt !== undefined) {
    figures.detectAt = detectAt;
    figures.detectMs = detectAt - t0;
    let lastOk: number | undefined;
    for (const s of sorted) if (ok(s) && s.end <= detectAt) lastOk = Math.max(lastOk ?? -Infinity, s.end);
    if (lastOk !== undefined) figures.lastOkBeforeDetectAt = lastOk;
    if (serviceAt !== undefined) figures.unavailableMs = serviceAt - (lastOk ?? t0);
  }
  if (serviceAt !== undefined) {
    figures.serviceAt = serviceAt;
    figures.serviceMs = serviceAt - t0;
    if (detectAt === undefined) figures.unavailableMs = 0;
    figures.outstandingAtService =
      sorted.filter((s) => s.at < serviceAt! && s.end > serviceAt!).length +
      pendingStarts.filter((p) => p < serviceAt!).length;
  }
  return figures;
}

/**
 * The achieved probe resolution of the recovery (measurement spec, "Canaries"): the largest gap
 * between consecutive canary starts from the last start before T0 to T_service (or, not
 * recovered, to the last start). undefined when no canary started after T0.
 */
export function achievedResolutionMs(
  samples: readonly CanarySample[],
  t0: number,
  serviceAt?: number,
): number | undefined {
  const starts = samples.map((s) => s.at).sort((a, b) => a - b);
  const firstAfter = starts.findIndex((at) => at >= t0);
  if (firstAfter < 0) return undefined;
  const end = serviceAt ?? starts.at(-1)!;
  let worst = 0;
  for (let i = Math.max(1, firstAfter); i < starts.length; i++) {
    if (starts[i - 1]! >= end) break;
    worst = Math.max(worst, starts[i]! - starts[i - 1]!);
  }
  return worst;
}

/**
 * A recovery watched more coarsely than this is a finding: its RTO is only known to within the
 * achieved resolution, not the configured interval.
 */
export function isCoarse(resolutionMs: number, intervalMs: number): boolean {
  return resolutionMs > Math.max(2 * intervalMs, intervalMs + 100);
}

/** The canary's latency bound: a drill's own, or derived from the steady state. */
export interface LatencyBound {
  boundMs: number;
  /** How it was chosen, for the evidence ("5 × steady p99 14 ms, floor 100 ms"). */
  source: string;
  steadyP99Ms: number | null;
  steadySamples: number;
}

export const LATENCY_BOUND_FACTOR = 5;
export const LATENCY_BOUND_FLOOR_MS = 100;

/** p-th percentile (nearest rank) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) throw new RangeError('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * max(5 × steady-state p99 of successful canaries, 100 ms) unless the drill sets its own, never
 * above the canary's timeout (a canary cannot succeed later than that anyway).
 */
export function latencyBound(
  steady: readonly CanarySample[],
  opts: { ownMs?: number | null; timeoutMs: number },
): LatencyBound {
  const latencies = steady.filter((s) => s.ok).map((s) => s.end - s.at);
  const p99 = latencies.length ? percentile(latencies, 99) : null;
  if (opts.ownMs) {
    return {
      boundMs: Math.min(opts.ownMs, opts.timeoutMs),
      source: `the drill's own (${opts.ownMs} ms)`,
      steadyP99Ms: p99,
      steadySamples: latencies.length,
    };
  }
  const derived = Math.max(LATENCY_BOUND_FACTOR * (p99 ?? 0), LATENCY_BOUND_FLOOR_MS);
  const boundMs = Math.min(derived, opts.timeoutMs);
  return {
    boundMs,
    source: `max(${LATENCY_BOUND_FACTOR} × steady p99 ${p99 ?? '?'} ms, ${LATENCY_BOUND_FLOOR_MS} ms)${boundMs < derived ? `, capped at the ${opts.timeoutMs} ms canary timeout` : ''}`,
    steadyP99Ms: p99,
    steadySamples: latencies.length,
  };
}
