import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { probeResolutionMs, recoveryFigures } from '../../src/measure/recovery.ts';
import type { CanarySample } from '../../src/measure/types.ts';

/** Samples every `step` ms from `from`, one per character: 'o' ok, 'x' failed. */
function series(from: number, step: number, pattern: string): CanarySample[] {
  return [...pattern].map((c, i) => ({ at: from + i * step, end: from + i * step + 5, ok: c === 'o' }));
}

describe('recoveryFigures: hand-checked', () => {
  it('measures detection, service and the unavailability window of a plain outage', () => {
    // 0 50 100 150 | T0=175 | 200 250 300 (x) 350..550 (o×5)
    const f = recoveryFigures(series(0, 50, 'oooo' + 'xxx' + 'ooooo'), 175);
    expect(f).toEqual({
      ok: 5,
      failed: 3,
      detectAt: 200,
      detectMs: 25,
      serviceAt: 350,
      serviceMs: 175,
      lastOkBeforeDetectAt: 150,
      unavailableMs: 200,
    });
  });

  it('a fault never visible to clients (D = 0): service at the first sample after T0, nothing detected', () => {
    const f = recoveryFigures(series(0, 50, 'o'.repeat(31)), 1000);
    expect(f.detectAt).toBeUndefined();
    expect(f.detectMs).toBeUndefined();
    expect(f.lastOkBeforeDetectAt).toBeUndefined();
    expect(f.serviceAt).toBe(1000); // a sample exactly at T0 counts
    expect(f.serviceMs).toBe(0);
    expect(f.unavailableMs).toBe(0);
    expect([f.ok, f.failed]).toEqual([11, 0]);
  });

  it('flapping: a run of 4 successes interrupted by a failure is not a recovery (K = 5)', () => {
    // T0 = 100: 100 x, 150 x, 200..350 o×4, 400 x, 450..650 o×5
    const f = recoveryFigures(series(0, 50, 'oo' + 'xx' + 'oooo' + 'x' + 'ooooo'), 100);
    expect(f.detectAt).toBe(100);
    expect(f.serviceAt).toBe(450);
    expect(f.serviceMs).toBe(350);
    expect(f.lastOkBeforeDetectAt).toBe(50);
    expect(f.unavailableMs).toBe(400);
    expect([f.ok, f.failed]).toEqual([9, 3]);
    // With K = 4 the interrupted run would have counted.
    expect(recoveryFigures(series(0, 50, 'ooxxooooxooooo'), 100, 4).serviceAt).toBe(200);
  });

  it('successes between T0 and the first failure (fault not visible yet) are not the recovery', () => {
    // T0 = 0: o×7 (0..300), x at 350, o×5 from 400
    const f = recoveryFigures(series(0, 50, 'ooooooo' + 'x' + 'ooooo'), 0);
    expect(f.detectAt).toBe(350);
    expect(f.serviceAt).toBe(400);
    expect(f.lastOkBeforeDetectAt).toBe(300); // after T0: the window starts at the last success seen
    expect(f.unavailableMs).toBe(100);
  });

  it('not recovered: no complete run of K successes leaves service and unavailability undefined', () => {
    const f = recoveryFigures(series(0, 50, 'oxxoooo'), 50);
    expect(f.detectAt).toBe(50);
    expect(f.serviceAt).toBeUndefined();
    expect(f.serviceMs).toBeUndefined();
    expect(f.unavailableMs).toBeUndefined();
    expect(f.lastOkBeforeDetectAt).toBe(0);
  });

  it('no success before the failure: the unavailability window starts at T0', () => {
    const f = recoveryFigures(series(1000, 50, 'xxooooo'), 990);
    expect(f.lastOkBeforeDetectAt).toBeUndefined();
    expect(f.serviceAt).toBe(1100);
    expect(f.unavailableMs).toBe(110);
  });

  it('ignores failures before T0 for detection and counts only samples after T0', () => {
    const f = recoveryFigures(series(0, 50, 'xxoo' + 'ooooo'), 200);
    expect(f.detectAt).toBeUndefined();
    expect(f.serviceAt).toBe(200);
    expect([f.ok, f.failed]).toEqual([5, 0]);
  });

  it('accepts samples in any order', () => {
    const sorted = series(0, 50, 'ooooxxxoooxooooooo');
    const shuffled = [...sorted].reverse();
    shuffled.push(shuffled.shift()!);
    expect(recoveryFigures(shuffled, 175)).toEqual(recoveryFigures(sorted, 175));
    expect(recoveryFigures(shuffled, 175).serviceAt).toBe(550);
  });

  it('samples invoked at the same instant give the same figures whatever their order', () => {
    // Two probes at 200: one failed, one ok. Failures sort first, so the ok one can start the run.
    const tied: CanarySample[] = [
      ...series(0, 50, 'oooox'),
      { at: 200, end: 205, ok: true },
      ...series(250, 50, 'oooo'),
    ];
    const expected = recoveryFigures(tied, 150);
    expect(expected).toMatchObject({ detectAt: 200, serviceAt: 200, serviceMs: 50, ok: 6, failed: 1 });
    expect(recoveryFigures([...tied].reverse(), 150)).toEqual(expected);
  });

  it('honours K and refuses nonsense K', () => {
    expect(recoveryFigures(series(0, 50, 'xoxoo'), 0, 1).serviceAt).toBe(50);
    expect(recoveryFigures(series(0, 50, 'xoxoo'), 0, 2).serviceAt).toBe(150);
    expect(recoveryFigures(series(0, 50, 'xoxoo'), 0, 3).serviceAt).toBeUndefined();
    expect(() => recoveryFigures([], 0, 0)).toThrow(RangeError);
    expect(() => recoveryFigures([], 0, 2.5)).toThrow(RangeError);
  });

  it('no samples at all: nothing measured', () => {
    expect(recoveryFigures([], 0)).toEqual({ ok: 0, failed: 0 });
  });
});

describe('probeResolutionMs', () => {
  const at = (...ts: number[]) => ts.map((t) => ({ at: t, end: t + 1, ok: true }));
  it('is the median gap between consecutive invocations, in any order', () => {
    expect(probeResolutionMs(at(200, 0, 160, 50, 100))).toBe(50); // gaps 50 50 60 40
    expect(probeResolutionMs(at(0, 10, 30, 60))).toBe(20); // gaps 10 20 30
    expect(probeResolutionMs(at(0, 10, 30, 60, 100))).toBe(25); // gaps 10 20 30 40
  });
  it('is 0 with fewer than two samples, and can look only at the recovery phase', () => {
    expect(probeResolutionMs([])).toBe(0);
    expect(probeResolutionMs(at(5))).toBe(0);
    expect(probeResolutionMs(at(0, 1000, 2000, 2050, 2100, 2150), 2000)).toBe(50);
  });
});

describe('recoveryFigures: properties', () => {
  it('calibration: a true outage [T0, T0+D) sampled every 50 ms ± 10 ms gives D ≤ RTO ≤ D + 70 ms', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5_000 }), // D
        fc.integer({ min: 1_000_000, max: 2_000_000 }), // T0
        fc.integer({ min: 0, max: 49 }), // phase of the probe grid relative to T0
        fc.array(fc.integer({ min: -10, max: 10 }), { minLength: 200, maxLength: 200 }),
        (D, t0, phase, jitter) => {
          const samples: CanarySample[] = [];
          const start = t0 - 500 + phase;
          for (let i = 0; start + i * 50 < t0 + D + 600; i++) {
            const at = start + i * 50 + (jitter[i % jitter.length] ?? 0);
            samples.push({ at, end: at + 3, ok: !(at >= t0 && at < t0 + D) });
          }
          const f = recoveryFigures(samples, t0);
          expect(f.serviceMs).toBeDefined();
          expect(f.serviceMs!).toBeGreaterThanOrEqual(D);
          expect(f.serviceMs! - D).toBeLessThanOrEqual(70); // one probe gap at most (spec: ±100 ms)
          if (D >= 70) {
            // every outage this long is seen by some probe
            expect(f.detectMs!).toBeGreaterThanOrEqual(0);
            expect(f.detectMs!).toBeLessThanOrEqual(70);
            expect(f.unavailableMs!).toBeGreaterThanOrEqual(f.serviceMs!);
            expect(f.unavailableMs! - D).toBeLessThanOrEqual(140);
          }
          if (f.detectAt === undefined) expect(f.unavailableMs).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches a string formulation on arbitrary ok/failed histories, whatever the sample order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { maxLength: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
        (oks, cut, k, keys) => {
          const samples = oks.map((ok, i) => ({ at: i * 10, end: i * 10 + 7, ok }));
          const t0 = cut * 10;
          const post = oks
            .slice(cut)
            .map((ok) => (ok ? 'o' : 'x'))
            .join('');
          const firstX = post.indexOf('x');
          const runIdx = post.indexOf('o'.repeat(k), firstX + 1);
          const shuffled = samples
            .map((s, i) => ({ s, key: keys[i]! }))
            .sort((a, b) => a.key - b.key)
            .map(({ s }) => s);
          const f = recoveryFigures(shuffled, t0, k);
          expect(f.detectAt).toBe(firstX < 0 ? undefined : t0 + firstX * 10);
          expect(f.serviceAt).toBe(runIdx < 0 ? undefined : t0 + runIdx * 10);
          expect(f.failed).toBe([...post].filter((c) => c === 'x').length);
          expect(f.ok + f.failed).toBe(post.length);
          if (f.detectAt !== undefined) {
            const before = oks.slice(0, cut + firstX).lastIndexOf(true);
            expect(f.lastOkBeforeDetectAt).toBe(before < 0 ? undefined : before * 10);
            if (f.serviceAt !== undefined) {
              expect(f.unavailableMs).toBe(f.serviceAt - (before < 0 ? t0 : before * 10));
              expect(f.serviceAt).toBeGreaterThan(f.detectAt);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
