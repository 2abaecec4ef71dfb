import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideVerdict,
  formatMs,
  unconfirmedInjectionReason,
  type VerdictInput,
} from '../../src/measure/verdict.ts';
import { emptyClassification } from '../../src/measure/ledger.ts';
import type { LedgerClassification, RecoveryFigures, Targets } from '../../src/measure/types.ts';

const ledger = (over: Partial<LedgerClassification> = {}): LedgerClassification => ({
  ...emptyClassification(),
  acked: 100,
  ...over,
});
const recovered = (serviceMs: number): RecoveryFigures => ({
  ok: 10,
  failed: 3,
  serviceAt: 1_000 + serviceMs,
  serviceMs,
});
const notRecovered: RecoveryFigures = { ok: 0, failed: 40, detectAt: 1_010, detectMs: 10 };
const kafka: Targets = { rtoMs: 300_000, rpoMs: 0, source: 'seed: DR table, Kafka' };
const patroni: Targets = { rtoMs: 30_000, rpoMs: null, source: 'seed: HA' };
const restore: Targets = { rtoMs: 3_600_000, rpoMs: 3_600_000, source: 'seed: DR table' };

/** Fixed seed, many runs: a planted bug is caught every time (the seed is printed on failure). */
const PROPERTY = { seed: 1201, numRuns: 500 } as const;

const input = (over: Partial<VerdictInput> = {}): VerdictInput => ({
  injected: true,
  faultConfirmed: true,
  samplesAfterT0: 40,
  targets: kafka,
  recovery: recovered(12_000),
  ledger: ledger(),
  deadlineMs: 600_000,
  ...over,
});

describe('decideVerdict: hand-checked', () => {
  it('MET when every target holds, with no reason', () => {
    expect(decideVerdict(input())).toEqual({ verdict: 'MET' });
    expect(decideVerdict(input({ recovery: recovered(300_000) }))).toEqual({ verdict: 'MET' }); // ≤ is met
  });

  it('ABORTED wins, even after injection and with missed targets', () => {
    expect(
      decideVerdict(input({ abortedReason: 'steady state never held: ISR 2/3', injected: false })),
    ).toEqual({
      verdict: 'ABORTED',
      reason: 'steady state never held: ISR 2/3',
    });
    expect(
      decideVerdict(
        input({ abortedReason: 'aborted by the operator', recovery: notRecovered, ledger: null }),
      ),
    ).toEqual({ verdict: 'ABORTED', reason: 'aborted by the operator' });
    expect(decideVerdict(input({ injected: false })).verdict).toBe('ABORTED');
  });

  it('INCONCLUSIVE when injected but the measurement is incomplete', () => {
    expect(decideVerdict(input({ inconclusiveReason: 'canary watch crashed' }))).toEqual({
      verdict: 'INCONCLUSIVE',
      reason: 'canary watch crashed',
    });
    expect(decideVerdict(input({ ledger: null }))).toEqual({
      verdict: 'INCONCLUSIVE',
      reason: 'the ledger could not be read back, so the RPO was not measured',
    });
    expect(decideVerdict(input({ ledger: null, targets: patroni, recovery: recovered(5_000) })).verdict).toBe(
      'INCONCLUSIVE',
    );
  });

  it('INCONCLUSIVE when no canary ran after T0, or the fault was never confirmed on the system', () => {
    expect(decideVerdict(input({ samplesAfterT0: 0 }))).toEqual({
      verdict: 'INCONCLUSIVE',
      reason: 'no canary completed after T0: nothing was measured',
    });
    const r = decideVerdict(input({ faultConfirmed: false, recovery: recovered(10) }));
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.reason).toMatch(/never confirmed on the system/);
    // even a missed RTO is not a breach of a fault nobody saw take effect
    expect(decideVerdict(input({ faultConfirmed: false, recovery: notRecovered })).verdict).toBe(
      'INCONCLUSIVE',
    );
  });

  it('a deadline shorter than the target RTO is not a breach: the target was not judged', () => {
    expect(decideVerdict(input({ targets: restore, recovery: notRecovered }))).toEqual({
      verdict: 'INCONCLUSIVE',
      reason: 'not recovered within the 10 min deadline; the 1 h RTO target was not judged',
    });
    // …unless another target is missed
    const r = decideVerdict(
      input({ targets: { ...restore, rpoMs: 0 }, recovery: notRecovered, ledger: ledger({ lost: 2 }) }),
    );
    expect(r.verdict).toBe('BREACHED');
    expect(r.reason).toBe(
      '2 acknowledged writes lost (RPO 0 promised); not recovered within the 10 min deadline; the 1 h RTO target was not judged',
    );
    // a deadline at the target is a breach
    expect(
      decideVerdict(input({ targets: restore, recovery: notRecovered, deadlineMs: 3_600_000 })).verdict,
    ).toBe('BREACHED');
  });

  it('a non-prefix loss is always BREACHED, inside the RPO target or with none promised', () => {
    const nonPrefix = ledger({ lost: 1, seconds: 2, nonPrefix: true });
    expect(decideVerdict(input({ targets: restore, ledger: nonPrefix }))).toEqual({
      verdict: 'BREACHED',
      reason: 'non-prefix loss: a lost write was acknowledged before one that survived',
    });
    expect(decideVerdict(input({ targets: patroni, ledger: nonPrefix })).verdict).toBe('BREACHED');
  });

  it('BREACHED when not recovered by the deadline, even if the ledger could not be read back', () => {
    expect(decideVerdict(input({ recovery: notRecovered }))).toEqual({
      verdict: 'BREACHED',
      reason: 'not recovered within the deadline of 10 min (RTO target 5 min)',
    });
    const r = decideVerdict(input({ recovery: notRecovered, ledger: null }));
    expect(r.verdict).toBe('BREACHED');
    expect(r.reason).toMatch(
      /^not recovered within the deadline of 10 min .*; the ledger could not be read back/,
    );
  });

  it('lists every missed target with its numbers', () => {
    const r = decideVerdict(
      input({
        targets: { ...patroni, rpoMs: 0 },
        recovery: recovered(41_200),
        ledger: ledger({ lost: 3, seconds: 1.2 }),
      }),
    );
    expect(r).toEqual({
      verdict: 'BREACHED',
      reason: 'RTO 41.2 s exceeds target 30 s; 3 acknowledged writes lost (RPO 0 promised)',
    });
  });

  it('RPO 0: any lost or corrupted write breaches it', () => {
    expect(decideVerdict(input({ ledger: ledger({ corrupted: 1 }) }))).toEqual({
      verdict: 'BREACHED',
      reason: '1 write corrupted (RPO 0 promised)',
    });
    expect(decideVerdict(input({ ledger: ledger({ lost: 1, corrupted: 2, nonPrefix: true }) }))).toEqual({
      verdict: 'BREACHED',
      reason:
        '1 acknowledged write lost and 2 writes corrupted (RPO 0 promised); non-prefix loss: a lost write was acknowledged before one that survived',
    });
    // unknown-but-present, unexpected and duplicated are reported, not judged
    expect(
      decideVerdict(input({ ledger: ledger({ recovered: 4, unexpected: 2, duplicated: 5 }) })).verdict,
    ).toBe('MET');
  });

  it('RPO in seconds: judged against the oldest lost write, equal is met', () => {
    expect(
      decideVerdict(input({ targets: restore, ledger: ledger({ lost: 9, seconds: 3600 }) })).verdict,
    ).toBe('MET');
    expect(
      decideVerdict(input({ targets: restore, ledger: ledger({ lost: 9, seconds: 3600.001 }) })),
    ).toEqual({
      verdict: 'BREACHED',
      reason: 'RPO 1 h 0.001 s exceeds target 1 h (9 acknowledged writes lost)',
    });
    // float noise on a target that is not a whole number of seconds does not breach (2007 / 1000 * 1000 > 2007)
    expect(
      decideVerdict(
        input({ targets: { ...restore, rpoMs: 2007 }, ledger: ledger({ lost: 1, seconds: 2007 / 1000 }) }),
      ).verdict,
    ).toBe('MET');
  });

  it('no RPO promised (null): the RPO is reported, never judged', () => {
    expect(
      decideVerdict(
        input({ targets: patroni, recovery: recovered(20_000), ledger: ledger({ lost: 500, seconds: 9 }) }),
      ),
    ).toEqual({
      verdict: 'MET',
    });
  });
});

describe('unconfirmedInjectionReason', () => {
  const m = (...names: string[]) => names.map((marker) => ({ marker }));
  it('is inconclusive when the worker died before the fault command returned and nothing failed', () =>
    expect(unconfirmedInjectionReason(m('T0', 'inject-resumed'), undefined)).toMatch(
      /may never have been issued/,
    ));
  it('stands when a canary saw the fault, or the command returned, or nobody died', () => {
    expect(unconfirmedInjectionReason(m('T0', 'inject-resumed'), 1_000)).toBeUndefined();
    expect(unconfirmedInjectionReason(m('T0', 'T0_done', 'inject-resumed'), undefined)).toBeUndefined();
    expect(unconfirmedInjectionReason(m('T0', 'T0_done'), undefined)).toBeUndefined();
  });
});

describe('formatMs', () => {
  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [1_000, '1 s'],
    [41_200, '41.2 s'],
    [30_040, '30.04 s'],
    [300_000, '5 min'],
    [300_100, '5 min 0.1 s'],
    [3_723_400, '1 h 2 min 3.4 s'],
    [7_200_000, '2 h'],
  ])('%d → %s', (ms, text) => expect(formatMs(ms)).toBe(text));
});

describe('decideVerdict: properties', () => {
  const arbInput = fc.record({
    serviceMs: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
    rtoMs: fc.integer({ min: 0, max: 1_000_000 }),
    rpoMs: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
    lost: fc.integer({ min: 0, max: 5 }),
    corrupted: fc.integer({ min: 0, max: 2 }),
    seconds: fc.integer({ min: 0, max: 100_000 }).map((ms) => ms / 1000),
  });
  const build = (x: {
    serviceMs?: number;
    rtoMs: number;
    rpoMs: number | null;
    lost: number;
    corrupted: number;
    seconds: number;
  }) =>
    input({
      targets: { rtoMs: x.rtoMs, rpoMs: x.rpoMs, source: 'test' },
      recovery: x.serviceMs === undefined ? notRecovered : recovered(x.serviceMs),
      ledger: ledger({ lost: x.lost, corrupted: x.corrupted, seconds: x.lost + x.corrupted ? x.seconds : 0 }),
    });

  it('is MET or BREACHED once measured, MET exactly when every judged target holds, with a reason iff not MET', () => {
    fc.assert(
      fc.property(arbInput, (x) => {
        const { verdict, reason } = decideVerdict(build(x));
        const rtoOk = x.serviceMs !== undefined && x.serviceMs <= x.rtoMs;
        const bad = x.lost + x.corrupted;
        const rpoOk =
          x.rpoMs === null || (x.rpoMs === 0 ? bad === 0 : (bad ? x.seconds : 0) * 1000 <= x.rpoMs + 1e-6);
        // Not recovered by a deadline shorter than the target: the RTO was not judged.
        const rtoUnjudged = x.serviceMs === undefined && 600_000 < x.rtoMs;
        const expected =
          !rpoOk || (!rtoOk && !rtoUnjudged) ? 'BREACHED' : rtoUnjudged ? 'INCONCLUSIVE' : 'MET';
        expect(verdict).toBe(expected);
        expect(reason === undefined).toBe(verdict === 'MET');
        if (!rtoOk && !rtoUnjudged && rpoOk) expect(reason).toMatch(/^(RTO|not recovered)/);
        if (!rpoOk) expect(reason).toMatch(/RPO/);
      }),
      PROPERTY,
    );
  });

  it('is monotone: a faster recovery, a looser target or less loss never turns MET into BREACHED', () => {
    fc.assert(
      fc.property(
        arbInput,
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.nat({ max: 5 }),
        fc.boolean(),
        (x, faster, looser, looserRpo, fewer, dropRpo) => {
          if (decideVerdict(build(x)).verdict !== 'MET') return;
          const y = {
            serviceMs: Math.max(0, x.serviceMs! - faster),
            rtoMs: x.rtoMs + looser,
            rpoMs: dropRpo || x.rpoMs === null ? null : x.rpoMs + looserRpo,
            lost: Math.max(0, x.lost - fewer),
            corrupted: Math.max(0, x.corrupted - fewer),
            seconds: x.seconds,
          };
          expect(decideVerdict(build(y)).verdict).toBe('MET');
        },
      ),
      PROPERTY,
    );
  });

  it('shrinking the RTO target below the measured RTO always breaches it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (serviceMs, under) => {
          const r = decideVerdict(
            input({
              recovery: recovered(serviceMs),
              targets: { ...kafka, rtoMs: Math.max(0, serviceMs - under) },
            }),
          );
          expect(r.verdict).toBe('BREACHED');
          expect(r.reason).toContain(`RTO ${formatMs(serviceMs)} exceeds`);
        },
      ),
      PROPERTY,
    );
  });
});
