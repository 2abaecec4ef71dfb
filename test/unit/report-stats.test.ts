import { describe, expect, it } from 'vitest';
import {
  analyse,
  distribution,
  METHOD_NOTES,
  formatDrift,
  formatMs,
  formatRatio,
  leastSquaresSlope,
  median,
  percentileNearestRank,
  runFiguresFor,
  sparkline,
} from '../../src/report/stats.ts';
import {
  DAY,
  EPOCH,
  FAULT_LEFT_REASON,
  faultLeftRun,
  makeRun,
  monthOfRuns,
  monthWithFaultLeft,
} from './report-fixtures.ts';

const period = { sinceMs: EPOCH - DAY, untilMs: EPOCH + 60 * DAY };

describe('elementary statistics', () => {
  it('median: the middle value, or the mean of the two middle ones', () => {
    expect(median([7])).toBe(7);
    expect(median([1, 3, 9])).toBe(3);
    expect(median([1, 2, 3, 10])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('p95 by nearest rank: rank ⌈0.95·n⌉, always an observed value', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => (i + 1) * 100); // 100 … 2000
    expect(percentileNearestRank(twenty, 95)).toBe(1900); // rank 19 (not 19.000000000000004 → 20)
    const twentyOne = Array.from({ length: 21 }, (_, i) => i + 1);
    expect(percentileNearestRank(twentyOne, 95)).toBe(20); // ⌈19.95⌉ = 20
    expect(percentileNearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10); // ⌈9.5⌉ = 10: the max
    expect(percentileNearestRank([42], 95)).toBe(42);
    expect(percentileNearestRank(twenty, 50)).toBe(1000);
    expect(percentileNearestRank(twenty, 100)).toBe(2000);
    expect(() => percentileNearestRank(twenty, 0)).toThrow(RangeError);
  });

  it('distribution of unsorted values', () => {
    expect(distribution([5, 1, 9, 3, 7, 2, 8, 4, 6, 10])).toEqual({
      n: 10,
      min: 1,
      median: 5.5,
      p95: 10,
      max: 10,
    });
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    expect(distribution(hundred)).toEqual({ n: 100, min: 1, median: 50.5, p95: 95, max: 100 });
    expect(distribution([])).toBeNull();
  });

  it('least-squares slope', () => {
    expect(
      leastSquaresSlope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBeCloseTo(2, 12);
    // x̄ = 1.5, ȳ = 14.5; Sxy = 5.25 + 1.25 + 1.25 + 5.25 = 13, Sxx = 5 → 2.6
    expect(
      leastSquaresSlope([
        { x: 0, y: 11 },
        { x: 1, y: 12 },
        { x: 2, y: 17 },
        { x: 3, y: 18 },
      ]),
    ).toBeCloseTo(2.6, 12);
    expect(leastSquaresSlope([{ x: 1, y: 1 }])).toBeNull();
    expect(
      leastSquaresSlope([
        { x: 1, y: 1 },
        { x: 1, y: 5 },
      ]),
    ).toBeNull();
  });

  it('sparkline scales from 0 to the largest value and marks missing figures', () => {
    expect(sparkline([0, 7, 14, null])).toBe('▁▅█×'); // round(7/14 · 7) = 4
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(sparkline([])).toBe('');
  });

  it('formats figures for people', () => {
    expect(formatMs(87)).toBe('87 ms');
    expect(formatMs(2039)).toBe('2.039 s');
    expect(formatMs(300_000)).toBe('5 min');
    expect(formatMs(5_400_000)).toBe('1.5 h');
    expect(formatMs(-1500)).toBe('−1.5 s');
    expect(formatRatio(0.8234)).toBe('0.82×');
    expect(formatRatio(0.0026)).toBe('0.0026×');
    expect(formatDrift({ previousRunId: 'a', previousMs: 4000, deltaMs: 1000, deltaPct: 25 })).toBe(
      '+1 s (+25%)',
    );
    expect(formatDrift(null)).toBe('—');
  });
});

describe('drift against the previous run of the same drill and variant', () => {
  const at = (d: number) => EPOCH + d * DAY;
  const a1 = makeRun({ runId: 'a1', start: at(0), serviceMs: 4000 });
  const b1 = makeRun({ runId: 'b1', start: at(1), serviceMs: 9000, variant: 'any-broker' });
  const ab = makeRun({ runId: 'ab', start: at(2), verdict: 'ABORTED' });
  const a2 = makeRun({ runId: 'a2', start: at(3), serviceMs: 5000 });
  const never = makeRun({ runId: 'never', start: at(4), serviceMs: null, verdict: 'BREACHED' });
  const a3 = makeRun({ runId: 'a3', start: at(5), serviceMs: 4500 });

  it('skips other variants, aborted runs and runs that never recovered', () => {
    const figs = runFiguresFor([a3, never, a2, ab, b1, a1], []); // order given does not matter
    const byId = new Map(figs.map((f) => [f.runId, f]));
    expect(figs.map((f) => f.runId)).toEqual(['a1', 'b1', 'ab', 'a2', 'never', 'a3']);
    expect(byId.get('a1')!.drift).toBeNull();
    expect(byId.get('b1')!.drift).toBeNull();
    expect(byId.get('ab')!.drift).toBeNull();
    expect(byId.get('a2')!.drift).toEqual({
      previousRunId: 'a1',
      previousMs: 4000,
      deltaMs: 1000,
      deltaPct: 25,
    });
    expect(byId.get('never')!.drift).toBeNull();
    expect(byId.get('a3')!.drift).toEqual({
      previousRunId: 'a2',
      previousMs: 5000,
      deltaMs: -500,
      deltaPct: -10,
    });
  });

  it('looks back before the period when the caller passes older runs', () => {
    const analysis = analyse([a1, a2, a3], { sinceMs: at(2), untilMs: at(10) });
    expect(analysis.runs.map((r) => r.runId)).toEqual(['a2', 'a3']);
    expect(analysis.runs[0]!.drift).toMatchObject({ previousRunId: 'a1', deltaMs: 1000 });
    expect(analysis.drills[0]!.runs).toBe(2); // a1 is history, not part of the period
  });
});

describe('per-drill statistics', () => {
  const at = (d: number) => EPOCH + d * DAY;
  const runs = [
    makeRun({ start: at(0), serviceMs: 3000, targetRtoMs: 10_000 }),
    makeRun({
      start: at(1),
      serviceMs: 5000,
      targetRtoMs: 10_000,
      lost: 2,
      corrupted: 1,
      rpoSeconds: 0.7,
      verdict: 'BREACHED',
      reason: '3 writes lost',
    }),
    makeRun({ start: at(2), serviceMs: 4000, targetRtoMs: 10_000 }),
    makeRun({
      start: at(3),
      serviceMs: null,
      targetRtoMs: 10_000,
      verdict: 'BREACHED',
      reason: 'not recovered by the deadline',
    }),
    makeRun({
      start: at(4),
      serviceMs: 12_000,
      targetRtoMs: 10_000,
      verdict: 'INCONCLUSIVE',
      measured: false,
      lost: 50,
    }),
    makeRun({ start: at(5), verdict: 'ABORTED', reason: 'steady state did not hold' }),
    makeRun({ start: at(6), serviceMs: 6000, targetRtoMs: 10_000 }),
  ];
  const { drills, totals } = analyse(runs, period);
  const d = drills[0]!;

  it('counts verdicts; pass rate = MET ÷ (MET + BREACHED + INCONCLUSIVE), ABORTED left out', () => {
    expect(d).toMatchObject({ runs: 7, met: 3, breached: 2, inconclusive: 1, aborted: 1, scored: 6 });
    expect(d.passRate).toBeCloseTo(3 / 6, 12);
    expect(totals).toMatchObject({ runs: 7, drills: 1, met: 3, breached: 2, inconclusive: 1, aborted: 1 });
  });

  it('RTO over scored runs that measured one; the unrecovered run is counted apart', () => {
    // 3000, 4000, 5000, 6000, 12000 → median 5000, p95 rank ⌈4.75⌉ = 5 → 12000
    expect(d.rto).toEqual({ n: 5, min: 3000, median: 5000, p95: 12_000, max: 12_000 });
    expect(d.unrecovered).toBe(1);
    expect(d.observedOverTarget).toBeCloseTo(0.5, 12);
  });

  it('max RPO = lost + corrupted over measured ledgers (the unmeasured one is ignored)', () => {
    expect(d.maxRpo).toMatchObject({ count: 3, seconds: 0.7, measuredRuns: 5 });
    expect(d.maxRpo.countRunId).toBe(runs[1]!.runId);
  });

  it('trend: slope of RTO per day and the series behind the sparkline', () => {
    // (day, ms): (0,3000) (1,5000) (2,4000) (4,12000) (6,6000)
    // x̄ = 2.6, ȳ = 6000; Sxy = 7800 + 1600 + 1200 + 8400 + 0 = 19000, Sxx = 23.2 → 818.97 ms/day
    expect(d.trend.slopeMsPerDay).toBeCloseTo(19_000 / 23.2, 9);
    expect(d.trend.series).toEqual([3000, 5000, 4000, null, 12_000, 6000]);
    expect(d.trend.sparkline).toBe('▃▄▃×█▅'); // round(v / 12000 · 7): 2 3 2 – 7 4
    expect(d.trend.points).toHaveLength(6);
  });

  it('per-run targets: within RTO/RPO or not', () => {
    const figs = analyse(runs, period).runs;
    expect(figs.map((f) => f.rtoWithinTarget)).toEqual([true, true, true, false, false, null, true]);
    expect(figs.map((f) => f.rpoWithinTarget)).toEqual([true, false, true, true, null, null, true]);
  });

  it('groups by drill, with a breakdown per variant', () => {
    const { drills: ds } = analyse(monthOfRuns(), { sinceMs: EPOCH - DAY, untilMs: EPOCH + 31 * DAY });
    expect(ds.map((x) => x.drill)).toEqual(['kafka-broker-kill', 'minio-restore', 'timescaledb-failover']);
    const kafka = ds[0]!;
    expect(kafka.variants.map((v) => [v.variant, v.runs])).toEqual([
      ['any-broker', 1],
      ['leader', 6],
    ]);
    // kafka leader RTOs: 4200 3900 4600 7800 4000 3700 (+ any-broker 5100)
    expect(kafka.rto).toEqual({ n: 7, min: 3700, median: 4200, p95: 7800, max: 7800 });
    expect(kafka.variants[1]!.rto!.median).toBe(4100);
  });

  it('filters by drill and by period (inclusive bounds)', () => {
    const all = monthOfRuns();
    expect(analyse(all, { ...period, drill: 'minio-restore' }).runs).toHaveLength(1);
    const t = Date.parse(all[0]!.startedAt);
    expect(analyse(all, { sinceMs: t, untilMs: t }).runs.map((r) => r.runId)).toEqual([all[0]!.runId]);
    expect(analyse(all, { sinceMs: EPOCH + 100 * DAY, untilMs: EPOCH + 101 * DAY })).toMatchObject({
      runs: [],
      drills: [],
      findings: [],
      totals: { runs: 0, passRate: null },
    });
  });
});

describe('findings', () => {
  it('lists breaches with reasons, non-prefix loss, inconclusive and aborted runs, RPO not promised; worst first', () => {
    const { findings } = analyse(monthOfRuns(), { sinceMs: EPOCH - DAY, untilMs: EPOCH + 31 * DAY });
    expect(findings.map((f) => [f.severity, f.kind, f.drill])).toEqual([
      ['high', 'breach', 'kafka-broker-kill'],
      ['high', 'non-prefix-loss', 'kafka-broker-kill'],
      ['high', 'breach', 'timescaledb-failover'],
      ['medium', 'inconclusive', 'timescaledb-failover'],
      ['medium', 'rpo-not-promised', 'timescaledb-failover'],
      ['low', 'aborted', 'timescaledb-failover'],
    ]);
    expect(findings[0]!.message).toBe(
      'BREACHED: 3 acknowledged writes lost (RPO 0 promised); non-prefix loss (RTO 7.8 s vs target 5 min)',
    );
    expect(findings[2]!.message).toContain('RTO 41 s vs target 30 s');
    expect(findings[3]!.message).toContain('relation "ledger" does not exist');
    expect(findings[4]!.message).toMatch(
      /no RPO is promised .*at most 2 acknowledged writes lost \/ 0\.8 s over 4 measured runs/,
    );
    expect(findings[5]!.message).toContain('replica lag 12 s');
  });

  it('a breach that never recovered says so', () => {
    const r = makeRun({ serviceMs: null, verdict: 'BREACHED', reason: 'deadline passed' });
    const [f] = analyse([r], period).findings;
    expect(f!.message).toBe(
      'BREACHED: deadline passed (service not recovered before the deadline (target 30 s))',
    );
  });

  it('RPO not promised and nothing lost is only informational', () => {
    const r = makeRun({ targetRpoMs: null });
    expect(analyse([r], period).findings).toMatchObject([{ severity: 'info', kind: 'rpo-not-promised' }]);
  });

  it('flags read-back anomalies, recovery points that disagree with the ledger, evidence gaps and changed targets', () => {
    const runs = [
      makeRun({ start: EPOCH, unexpected: 2, duplicated: 1 }),
      makeRun({
        start: EPOCH + DAY,
        lost: 4,
        rpoSeconds: 120,
        recoveryPointSeconds: 3600,
        targetRtoMs: 60_000,
      }),
      makeRun({ start: EPOCH + 2 * DAY, ledgerSha256: null }),
    ];
    const kinds = analyse(runs, period, {
      sampleCounts: new Map([
        [runs[0]!.runId, 10],
        [runs[1]!.runId, 10],
      ]),
    }).findings.map((f) => [f.kind, f.message]);
    expect(kinds).toEqual([
      ['data-anomaly', 'read-back found 2 unexpected and 1 duplicated records'],
      [
        'recovery-point-mismatch',
        "T0 − recovery point = 3600 s but the ledger's RPO is 120 s (they must agree within 1 s)",
      ],
      ['evidence-gap', 'evidence gap: no ledger SHA-256; no raw canary samples stored'],
      [
        'target-changed',
        'targets differ between runs in this period (RTO 30 s, 1 min); figures compare with the latest target',
      ],
    ]);
  });
});

describe('FAULT-LEFT: the compensation gave up and the fault is still in place', () => {
  const at = (d: number) => EPOCH + d * DAY;
  const runs = [
    makeRun({ runId: 'met-1', start: at(0), serviceMs: 3000 }),
    makeRun({ runId: 'met-2', start: at(1), serviceMs: 4000 }),
    faultLeftRun({ runId: 'left-1', start: at(2), serviceMs: 5000 }),
    makeRun({ runId: 'ab-1', start: at(3), verdict: 'ABORTED' }),
  ];
  const { drills, totals, findings } = analyse(runs, period);

  it('has its own count, per drill, per variant and in the totals', () => {
    expect(drills[0]).toMatchObject({ runs: 4, met: 2, faultLeft: 1, aborted: 1, breached: 0 });
    expect(drills[0]!.variants[0]).toMatchObject({ faultLeft: 1 });
    expect(totals).toMatchObject({ runs: 4, met: 2, faultLeft: 1, aborted: 1 });
  });

  it('is scored, as a failure: pass rate = MET ÷ (MET + BREACHED + INCONCLUSIVE + FAULT-LEFT)', () => {
    expect(drills[0]!.scored).toBe(3);
    expect(drills[0]!.passRate).toBeCloseTo(2 / 3, 12);
    expect(totals.passRate).toBeCloseTo(2 / 3, 12);
    expect(METHOD_NOTES[0]).toMatch(/^Pass rate = MET ÷ \(MET \+ BREACHED \+ INCONCLUSIVE \+ FAULT-LEFT\)\./);
    expect(METHOD_NOTES[0]).toContain('counts as a failure');
  });

  it('is the first finding, critical, naming the run, what is left in place and `firedrill faults`', () => {
    expect(findings[0]).toMatchObject({ severity: 'critical', kind: 'fault-left', runId: 'left-1' });
    expect(findings[0]!.message).toBe(
      `FAULT-LEFT: run left-1 gave up reverting its fault, which is still in place: ${FAULT_LEFT_REASON}. ` +
        '`firedrill faults` lists what is left; `firedrill faults revert <id>` retries the revert.',
    );
    expect(findings.filter((f) => f.severity === 'critical')).toHaveLength(1);
  });

  it('outranks a breach of a drill that sorts first and ran earlier', () => {
    const { findings: month } = analyse(monthWithFaultLeft(), {
      sinceMs: EPOCH - DAY,
      untilMs: EPOCH + 31 * DAY,
    });
    expect(month.map((f) => [f.severity, f.kind]).slice(0, 2)).toEqual([
      ['critical', 'fault-left'],
      ['high', 'breach'],
    ]);
  });
});
