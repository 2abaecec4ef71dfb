// RTO figures from the raw canary samples (measurement spec, "Clocks and instants"). Pure.
import type { CanarySample, RecoveryFigures } from './types.ts';

/**
 * Orders samples by invocation time. Ties are broken by end time and then failures first, so the
 * result never depends on the order the samples arrived in.
 */
export function sortSamples(samples: readonly CanarySample[]): CanarySample[] {
  return [...samples].sort((a, b) => a.at - b.at || a.end - b.end || Number(a.ok) - Number(b.ok));
}

/**
 * The recovery figures of one drill.
 *
 * - Only samples invoked at or after `t0` count for detection, service and the ok/failed tallies.
 * - `detectAt`: the first failed sample after T0.
 * - `serviceAt`: the first sample of the first run of `k` consecutive successes after T0. When the
 *   fault became visible, the run must start after the first failure: successes between T0 and
 *   T_detect (the fault not visible yet) are not a recovery. When the fault was never visible, the
 *   first k-run after T0 defines it (RTO ≈ 0). A run interrupted by a failure before reaching k
 *   starts over. No complete run: `serviceAt` is undefined (not recovered).
 * - `lastOkBeforeDetectAt`: the latest successful sample invoked before `detectAt`, T0 or not.
 * - `unavailableMs` = serviceAt − lastOkBeforeDetectAt (T0 when there was no earlier success); 0 when
 *   nothing was detected and the service held; undefined when the service never came back.
 */
export function recoveryFigures(samples: CanarySample[], t0: number, k = 5): RecoveryFigures {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const sorted = sortSamples(samples);
  const after = sorted.filter((s) => s.at >= t0);
  const ok = after.filter((s) => s.ok).length;
  const figures: RecoveryFigures = { ok, failed: after.length - ok };

  const detectIndex = after.findIndex((s) => !s.ok);
  const detectAt = detectIndex >= 0 ? after[detectIndex]!.at : undefined;

  let serviceAt: number | undefined;
  let run = 0;
  for (let i = detectIndex + 1; i < after.length; i++) {
    const s = after[i]!;
    run = s.ok ? run + 1 : 0;
    if (run === k) {
      serviceAt = after[i - k + 1]!.at;
      break;
    }
  }

  if (detectAt !== undefined) {
    figures.detectAt = detectAt;
    figures.detectMs = detectAt - t0;
    let lastOk: number | undefined;
    for (const s of sorted) {
      if (s.at >= detectAt) break;
      if (s.ok) lastOk = s.at;
    }
    if (lastOk !== undefined) figures.lastOkBeforeDetectAt = lastOk;
    if (serviceAt !== undefined) figures.unavailableMs = serviceAt - (lastOk ?? t0);
  }
  if (serviceAt !== undefined) {
    figures.serviceAt = serviceAt;
    figures.serviceMs = serviceAt - t0;
    if (detectAt === undefined) figures.unavailableMs = 0;
  }
  return figures;
}

/**
 * The probe resolution actually achieved: the median gap between consecutive sample invocations
 * (ms). Pass `since` to look only at samples invoked at or after it (the recovery phase probes
 * faster than the steady-state phase). 0 when there are fewer than two samples.
 */
export function probeResolutionMs(samples: CanarySample[], since = -Infinity): number {
  const ats = samples
    .map((s) => s.at)
    .filter((at) => at >= since)
    .sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < ats.length; i++) gaps.push(ats[i]! - ats[i - 1]!);
  if (gaps.length === 0) return 0;
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}
