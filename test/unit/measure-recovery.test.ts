import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  achievedResolutionMs,
  latencyBound,
  percentile,
  recoveryFigures,
} from '../../src/measure/recovery.ts';
import type { CanarySample } from '../../src/measure/types.ts';

/** Fixed seeds, many runs: a planted bug is caught on every run, not one in six (printed on failure). */
const PROPERTY = { seed: 20261201, numRuns: 400 } as const;

/** Samples every `step` ms from `from`, one per character, each taking 5 ms: 'o' ok, 'x' failed. */
function series(from: number, step: number, pattern: string): CanarySample[] {
  return [...pattern].map((c, i) => ({ at: from + i * step, end: from + i * step + 5, ok: c === 'o' }));
}

describe('recoveryFigures: hand-checked (revised spec: credit at completion, runs in start order)', () => {
  it('a plain outage: detect at the first failure, service at the completion of the first of K', () => {
    // 0 50 100 150 | T0=175 | 200 250 300 (x) 350..550 (o×5), each 5 ms long
    const f = recoveryFigures(series(0, 50, 'oooo' + 'xxx' + 'ooooo'), 175);
    expect(f).toEqual({
      ok: 5,
      failed: 3,
      detectAt: 200,
      detectMs: 25,
      serviceAt: 355,
      serviceMs: 180,
      lastOkBeforeDetectAt: 155,
      unavailableMs: 200,
      outstandingAtService: 0,
    });
  });

  it('a success that took 900 ms is credited at its completion, not its start', () => {
    // T0 = 1000; the outage holds requests until 2000. The canary sent at 1100 is answered at 2000.
    const held: CanarySample[] = [
      { at: 1000, end: 1005, ok: false },
      { at: 1100, end: 2000, ok: true }, // held 900 ms, no latency bound
      ...series(2050, 50, 'oooo'),
    ];
    const f = recoveryFigures(held, 1000, { k: 5 });
    expect(f.serviceAt).toBe(2000);
    expect(f.serviceMs).toBe(1000);
    // With a 100 ms latency bound the held canary is a failure: the run starts after it.
    const bounded = recoveryFigures([...held, { at: 2250, end: 2255, ok: true }], 1000, {
      k: 5,
      latencyBoundMs: 100,
    });
    expect(bounded.serviceAt).toBe(2055);
    expect(bounded.serviceMs).toBe(1055);
    expect([bounded.ok, bounded.failed]).toEqual([5, 2]);
  });

  it('a failure in flight across T0 is the detection (at T0), and the window is consistent', () => {
    // Sequential-era bug: the canary sent at 990 hangs until its timeout at 1990 (T0 = 1000); the
    // next ones succeed. It used to leave detectAt undefined while unavailableMs said 0.
    const samples: CanarySample[] = [
      { at: 900, end: 905, ok: true },
      { at: 990, end: 1990, ok: false, error: 'canary took longer than 1000 ms' },
      ...series(2000, 50, 'ooooo'),
    ];
    const f = recoveryFigures(samples, 1000);
    expect(f.detectAt).toBe(1000);
    expect(f.detectMs).toBe(0);
    expect(f.lastOkBeforeDetectAt).toBe(905);
    expect(f.serviceAt).toBe(2005);
    expect(f.serviceMs).toBe(1005);
    expect(f.unavailableMs).toBe(1100);
  });

  it('open loop: overlapping hung canaries do not hide the recovery, and count as outstanding', () => {
    // T0 = 0, outage until 500: canaries every 50 ms; those sent in the outage hang 1000 ms.
    const samples: CanarySample[] = [];
    for (let at = 0; at < 500; at += 50) samples.push({ at, end: at + 1000, ok: false });
    for (let at = 500; at < 800; at += 50) samples.push({ at, end: at + 5, ok: true });
    const f = recoveryFigures(samples, 0, { k: 5, latencyBoundMs: 100 });
    expect(f.detectAt).toBe(0);
    expect(f.serviceAt).toBe(505);
    expect(f.serviceMs).toBe(505);
    // The ten hung canaries (sent 0..450) were still outstanding when the service came back.
    expect(f.outstandingAtService).toBe(10);
    expect(achievedResolutionMs(samples, 0, f.serviceAt)).toBe(50);
  });

  it('a run of K is not final while a canary sent before its end is still outstanding', () => {
    const samples = series(0, 50, 'xooooo');
    expect(recoveryFigures(samples, 0, { pendingStarts: [120] }).serviceAt).toBeUndefined();
    expect(recoveryFigures(samples, 0, { pendingStarts: [400] }).serviceAt).toBe(55);
    expect(recoveryFigures(samples, 0, { pendingStarts: [] }).serviceAt).toBe(55);
  });

  it('a fault never visible to clients (D = 0): service at the first completion after T0', () => {
    const f = recoveryFigures(series(0, 50, 'o'.repeat(31)), 1000);
    expect(f.detectAt).toBeUndefined();
    expect(f.serviceAt).toBe(1005);
    expect(f.serviceMs).toBe(5);
    expect(f.unavailableMs).toBe(0);
    expect([f.ok, f.failed]).toEqual([11, 0]);
  });

  it('flapping: a run of 4 successes broken by a failure is not a recovery (K = 5)', () => {
    const f = recoveryFigures(series(0, 50, 'oo' + 'xx' + 'oooo' + 'x' + 'ooooo'), 100);
    expect(f.detectAt).toBe(100);
    expect(f.serviceAt).toBe(455);
    expect(f.lastOkBeforeDetectAt).toBe(55);
    expect(f.unavailableMs).toBe(400);
    expect(recoveryFigures(series(0, 50, 'ooxxooooxooooo'), 100, 4).serviceAt).toBe(205);
  });

  it('slow answers beyond the latency bound are failures, however they ended', () => {
    const slow = (at: number, ms: number): CanarySample => ({ at, end: at + ms, ok: true });
    const samples = [slow(0, 10), slow(50, 600), slow(100, 600), ...series(150, 50, 'ooooo')];
    const f = recoveryFigures(samples, 40, { latencyBoundMs: 100 });
    expect(f.detectAt).toBe(50);
    expect(f.serviceAt).toBe(155);
    expect(recoveryFigures(samples, 40).detectAt).toBeUndefined(); // unbounded: never detected
  });

  it('not recovered: no complete run of K leaves service and unavailability undefined', () => {
    const f = recoveryFigures(series(0, 50, 'oxxoooo'), 50);
    expect(f.detectAt).toBe(50);
    expect(f.serviceAt).toBeUndefined();
    expect(f.unavailableMs).toBeUndefined();
    expect(f.outstandingAtService).toBeUndefined();
  });

  it('accepts samples in any order and refuses nonsense options', () => {
    const sorted = series(0, 50, 'oooo' + 'xxx' + 'ooooo');
    expect(recoveryFigures([...sorted].reverse(), 175)).toEqual(recoveryFigures(sorted, 175));
    expect(() => recoveryFigures([], 0, 0)).toThrow(RangeError);
    expect(() => recoveryFigures([], 0, { latencyBoundMs: 0 })).toThrow(RangeError);
    expect(recoveryFigures([], 0)).toEqual({ ok: 0, failed: 0 });
  });
});

describe('achievedResolutionMs', () => {
  const at = (...ats: number[]) => ats.map((a) => ({ at: a, end: a + 1, ok: true }));
  it('is the largest start-to-start gap from the last start before T0 to T_service', () => {
    expect(achievedResolutionMs(at(0, 50, 100, 1100, 1150, 1200, 3000), 60, 1200)).toBe(1000);
    expect(achievedResolutionMs(at(0, 50, 100, 150), 60, 150)).toBe(50);
    expect(achievedResolutionMs(at(0, 40, 200), 100)).toBe(160); // not recovered: to the last start
    expect(achievedResolutionMs(at(0, 40), 100)).toBeUndefined(); // no canary after T0
  });
});

describe('latencyBound', () => {
  const steady = (ms: number[]) => ms.map((m, i) => ({ at: i * 50, end: i * 50 + m, ok: true }));
  it('is max(5 × steady p99, 100 ms), capped at the canary timeout, unless the drill sets one', () => {
    expect(latencyBound(steady([5, 6, 7, 8]), { timeoutMs: 1000 }).boundMs).toBe(100);
    expect(latencyBound(steady([5, 6, 7, 40]), { timeoutMs: 1000 }).boundMs).toBe(200);
    expect(latencyBound(steady([5, 300]), { timeoutMs: 1000 }).boundMs).toBe(1000);
    expect(latencyBound(steady([5, 6]), { timeoutMs: 1000, ownMs: 250 }).boundMs).toBe(250);
    expect(latencyBound(steady([5, 6, 7, 40]), { timeoutMs: 1000 }).steadyP99Ms).toBe(40);
  });
  it('percentile is nearest-rank', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(() => percentile([], 50)).toThrow(RangeError);
  });
});

/**
 * A true outage [T0, T0 + D) seen by open-loop canaries, one every `interval` ± jitter, each with
 * a normal latency L, in one of the failure modes of the spec. Returns the samples.
 */
function outage(opts: {
  t0: number;
  d: number;
  mode: 'refuse' | 'hang' | 'hold' | 'slow' | 'retry';
  interval: number;
  jitter: number[];
  latency: number;
  timeout: number;
  bound: number;
}): CanarySample[] {
  const { t0, d, mode, interval, latency, timeout } = opts;
  const samples: CanarySample[] = [];
  const end = t0 + d;
  for (let i = -10, at = t0 - 10 * interval; at < end + 2_000; i++) {
    at = t0 + i * interval + (opts.jitter[(i + 10) % opts.jitter.length] ?? 0);
    const arrives = at + latency / 2;
    const inOutage = arrives >= t0 && arrives < end;
    if (!inOutage) samples.push({ at, end: at + latency, ok: true });
    else if (mode === 'refuse') samples.push({ at, end: at + 1, ok: false });
    else if (mode === 'hang') samples.push({ at, end: at + timeout, ok: false });
    else if (mode === 'hold') {
      const answered = end + latency / 2;
      samples.push(
        answered - at > timeout ? { at, end: at + timeout, ok: false } : { at, end: answered, ok: true },
      );
    } else if (mode === 'slow') samples.push({ at, end: at + opts.bound * 3, ok: true });
    else {
      // retry inside one call every 100 ms until it succeeds or the timeout ends it
      let t = at;
      while (t + latency / 2 < end && t - at < timeout) t += 100;
      samples.push(
        t - at >= timeout ? { at, end: at + timeout, ok: false } : { at, end: t + latency, ok: true },
      );
    }
  }
  return samples;
}

describe('recoveryFigures: properties (fixed seed)', () => {
  it('whatever the failure mode: RTO ≥ D and |RTO − D| ≤ interval + one normal latency', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 8_000 }),
        fc.constantFrom('refuse', 'hang', 'hold', 'slow', 'retry' as const),
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 20 }),
        (d, mode, jitter, latency) => {
          const interval = 50;
          const bound = 100;
          const t0 = 1_000_000;
          const samples = outage({ t0, d, mode, interval, jitter, latency, timeout: 1_000, bound });
          const f = recoveryFigures(samples, t0, { k: 5, latencyBoundMs: bound });
          expect(f.serviceMs, `${mode} D=${d}`).toBeDefined();
          expect(f.serviceMs!).toBeGreaterThanOrEqual(d);
          expect(f.serviceMs! - d).toBeLessThanOrEqual(
            interval + 10 + latency + 100 * Number(mode === 'retry'),
          );
          // Held or retried within the bound, a short outage is never a failure to any client.
          if (!['hold', 'retry'].includes(mode) || d > bound + interval) expect(f.detectAt).toBeDefined();
        },
      ),
      PROPERTY,
    );
  });

  it('credit at completion: T_service is always some success’s completion, never before T0', () => {
    const sample = fc
      .record({
        at: fc.integer({ min: 0, max: 5_000 }),
        ms: fc.integer({ min: 0, max: 1_500 }),
        ok: fc.boolean(),
      })
      .map(({ at, ms, ok }) => ({ at, end: at + ms, ok }));
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 80 }), fc.integer({ min: 0, max: 5_000 }), (samples, t0) => {
        const f = recoveryFigures(samples, t0, { k: 3, latencyBoundMs: 200 });
        if (f.serviceAt === undefined) return;
        expect(f.serviceAt).toBeGreaterThan(t0);
        expect(samples.some((s) => s.ok && s.end - s.at <= 200 && s.end === f.serviceAt)).toBe(true);
        if (f.detectAt !== undefined) expect(f.detectAt).toBeGreaterThanOrEqual(t0);
        expect(f.unavailableMs).toBeGreaterThanOrEqual(0);
      }),
      PROPERTY,
    );
  });

  it('matches a string formulation on arbitrary histories (start order), whatever the sample order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { maxLength: 60 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1_000 }),
        (oks, t0Index, k, seed) => {
          const samples = oks.map((ok, i) => ({ at: i * 50, end: i * 50 + 5, ok }));
          const t0 = t0Index * 50;
          const shuffled = [...samples].sort(
            (a, b) => ((a.at * 7919 + seed) % 97) - ((b.at * 7919 + seed) % 97),
          );
          const f = recoveryFigures(shuffled, t0, k);
          const text = oks
            .slice(t0Index)
            .map((o) => (o ? 'o' : 'x'))
            .join('');
          const detect = text.indexOf('x');
          const run = 'o'.repeat(k);
          const service = text.indexOf(run, detect + 1);
          expect(f.detectAt).toBe(detect >= 0 ? t0 + detect * 50 : undefined);
          expect(f.serviceAt).toBe(service >= 0 ? t0 + service * 50 + 5 : undefined);
        },
      ),
      PROPERTY,
    );
  });
});
