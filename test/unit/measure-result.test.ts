import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildResult, validateResult, type ResultInput } from '../../src/measure/result.ts';
import type { LedgerClassification, Verdict } from '../../src/measure/types.ts';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 600);
const iso = (ms: number) => new Date(ms).toISOString();
const SHA = 'ab'.repeat(32);

const ledger: LedgerClassification = {
  acked: 1200,
  lost: 2,
  corrupted: 0,
  recovered: 3,
  unknown: 5,
  failed: 7,
  unexpected: 0,
  duplicated: 0,
  seconds: 1.5,
  nonPrefix: true,
  lostIds: [17, 40],
  corruptedIds: [],
};

const base = (over: Partial<ResultInput> = {}): ResultInput => ({
  runId: 'run-1',
  drill: 'kafka-broker-kill',
  variant: 'leader',
  platform: 'local',
  hypothesis: 'a leader loss is invisible after 5 min',
  startedAt: T0 - 60_000,
  finishedAt: T0 + 120_000,
  targets: { rtoMs: 300_000, rpoMs: 0, source: 'seed: DR table, Kafka' },
  verdict: 'BREACHED',
  reason: '2 acknowledged writes lost (RPO 0 promised)',
  markers: [
    { marker: 'T_verified', at: T0 + 100_000 },
    { marker: 'T0', at: T0, note: 'SIGKILL broker 2' },
    { marker: 'T_steady', at: T0 - 30_000 },
    { marker: 'T0_done', at: T0 + 40 },
  ],
  recovery: {
    ok: 50,
    failed: 20,
    detectAt: T0 + 30,
    detectMs: 30,
    serviceAt: T0 + 9_000,
    serviceMs: 9_000,
    lastOkBeforeDetectAt: T0 - 20,
    unavailableMs: 9_020,
  },
  fullAt: T0 + 45_000,
  probeIntervalMs: 50,
  ledger,
  ledgerSha256: SHA,
  config: { acks: 'all', minIsr: 2 },
  versions: { kafka: '3.9.0' },
  artifactsDir: 'reports/run-1/',
  ...over,
});

describe('buildResult', () => {
  it('builds the contract record: ISO instants, sorted timeline, RTO and RPO figures, evidence', () => {
    const r = buildResult(base({ extraEvidence: { canarySamples: 'canary.jsonl', artifactsDir: 'evil' } }));
    expect(r).toMatchObject({
      runId: 'run-1',
      drill: 'kafka-broker-kill',
      variant: 'leader',
      platform: 'local',
      hypothesis: 'a leader loss is invisible after 5 min',
      startedAt: '2025-01-02T03:03:05.600Z',
      finishedAt: '2025-01-02T03:06:05.600Z',
      verdict: 'BREACHED',
      reason: '2 acknowledged writes lost (RPO 0 promised)',
      targets: { rtoMs: 300_000, rpoMs: 0, source: 'seed: DR table, Kafka' },
      rto: { serviceMs: 9_000, fullMs: 45_000, detectMs: 30, unavailableMs: 9_020, probeIntervalMs: 50 },
      rpo: {
        acked: 1200,
        lost: 2,
        corrupted: 0,
        recovered: 3,
        unknown: 5,
        unexpected: 0,
        duplicated: 0,
        seconds: 1.5,
        nonPrefix: true,
        recoveryPointAt: null,
        failed: 7,
        measured: true,
      },
      evidence: {
        ledgerSha256: SHA,
        config: { acks: 'all', minIsr: 2 },
        versions: { kafka: '3.9.0' },
        artifactsDir: 'reports/run-1/', // extraEvidence cannot override a contract field
        canarySamples: 'canary.jsonl',
        lostIds: [17, 40],
      },
    });
    expect(r.timeline).toEqual([
      { marker: 'T_steady', at: iso(T0 - 30_000) },
      { marker: 'T0', at: iso(T0), note: 'SIGKILL broker 2' },
      { marker: 'T_detect', at: iso(T0 + 30), note: 'first failed canary after T0' },
      { marker: 'T0_done', at: iso(T0 + 40) },
      {
        marker: 'T_service',
        at: iso(T0 + 9_000),
        note: 'first canary of the first run of consecutive successes',
      },
      { marker: 'T_full', at: iso(T0 + 45_000), note: 'full-recovery predicate holds' },
      { marker: 'T_verified', at: iso(T0 + 100_000) },
    ]);
    expect(validateResult(r)).toEqual([]);
    expect(validateResult(JSON.parse(JSON.stringify(r)))).toEqual([]);
  });

  it('omits the reason when MET and keeps one otherwise', () => {
    const met = buildResult(base({ verdict: 'MET', reason: 'ignored' }));
    expect('reason' in met).toBe(false);
    const noReason = buildResult(base({ verdict: 'INCONCLUSIVE', reason: undefined }));
    expect(noReason.reason).toBe('INCONCLUSIVE (no reason was recorded)');
  });

  it('puts nulls where nothing was measured', () => {
    const r = buildResult(
      base({
        verdict: 'ABORTED',
        reason: 'steady state never held',
        markers: [{ marker: 'T_steady', at: T0 }],
        recovery: { ok: 0, failed: 0 },
        fullAt: undefined,
        ledger: null,
        ledgerSha256: null,
      }),
    );
    expect(r.rto).toEqual({
      serviceMs: null,
      fullMs: null,
      detectMs: null,
      unavailableMs: null,
      probeIntervalMs: 50,
      resolutionMs: null,
      latencyBoundMs: null,
      outstandingAtService: null,
    });
    expect(r.rpo).toMatchObject({
      seconds: null,
      lost: 0,
      measured: false,
      recoveryPointAt: null,
      recoveryPointSeconds: null,
    });
    expect(r.evidence.ledgerSha256).toBeNull();
    expect(r.timeline).toEqual([{ marker: 'T_steady', at: iso(T0) }]);
    expect(validateResult(r)).toEqual([]);
  });

  it('takes T0 and T_full from the markers when not given, and reports the recovery point beside the RPO', () => {
    const r = buildResult(
      base({
        fullAt: undefined,
        markers: [
          { marker: 'T0', at: T0 },
          { marker: 'T_full', at: T0 + 7_000 },
        ],
        recoveryPointAt: T0 - 1_500,
      }),
    );
    expect(r.rto.fullMs).toBe(7_000);
    expect(r.rpo.recoveryPointAt).toBe(iso(T0 - 1_500));
    expect(r.rpo.recoveryPointSeconds).toBe(1.5); // agrees with the ledger's 1.5 s
    expect(r.timeline.filter((m) => m.marker === 'T_full')).toHaveLength(1);
    expect(buildResult(base({ t0: T0 + 1_000 })).rto.fullMs).toBe(44_000);
  });

  it('refuses an instant that is not one', () => {
    expect(() => buildResult(base({ startedAt: Number.NaN }))).toThrow(/startedAt/);
    expect(() => buildResult(base({ markers: [{ marker: 'T0', at: Infinity }] }))).toThrow(/marker T0/);
  });
});

describe('validateResult', () => {
  const good = () =>
    JSON.parse(JSON.stringify(buildResult(base()))) as Record<string, Record<string, unknown>>;

  it.each([
    ['runId'],
    ['drill'],
    ['variant'],
    ['platform'],
    ['startedAt'],
    ['finishedAt'],
    ['verdict'],
    ['reason'],
    ['targets'],
    ['rto'],
    ['rpo'],
    ['timeline'],
    ['evidence'],
  ])('flags a missing %s', (field) => {
    const r = good();
    delete r[field];
    expect(validateResult(r).join('\n')).toMatch(new RegExp(`^${field}: expected .*missing`, 'm'));
  });

  it.each([
    ['targets', 'rtoMs'],
    ['targets', 'rpoMs'],
    ['targets', 'source'],
    ['rto', 'serviceMs'],
    ['rto', 'fullMs'],
    ['rto', 'detectMs'],
    ['rto', 'unavailableMs'],
    ['rto', 'probeIntervalMs'],
    ['rpo', 'acked'],
    ['rpo', 'lost'],
    ['rpo', 'corrupted'],
    ['rpo', 'recovered'],
    ['rpo', 'unknown'],
    ['rpo', 'unexpected'],
    ['rpo', 'duplicated'],
    ['rpo', 'seconds'],
    ['rpo', 'nonPrefix'],
    ['rpo', 'recoveryPointAt'],
    ['evidence', 'ledgerSha256'],
    ['evidence', 'config'],
    ['evidence', 'versions'],
    ['evidence', 'artifactsDir'],
  ])('flags a renamed %s.%s', (group, field) => {
    const r = good();
    const g = r[group]!;
    g[`${field}_renamed`] = g[field];
    delete g[field];
    expect(
      validateResult(r).some((e) => e.startsWith(`${group}.${field}: expected`) && e.endsWith('missing')),
    ).toBe(true);
  });

  it('flags wrong types and broken rules', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutating parsed JSON in place
    const cases: [(r: Record<string, any>) => void, RegExp][] = [
      [(r) => (r.verdict = 'PASSED'), /^verdict: expected one of MET, BREACHED/],
      [(r) => (r.startedAt = '2025-01-02 03:04:05'), /^startedAt: expected an ISO-8601 instant/],
      [(r) => (r.finishedAt = '2020-01-01T00:00:00Z'), /^finishedAt: earlier than startedAt/],
      [(r) => (r.rto.serviceMs = '9000'), /^rto\.serviceMs: expected a number or null/],
      [(r) => (r.rpo.lost = -1), /^rpo\.lost: expected a non-negative integer/],
      [(r) => (r.rpo.lost = 1.5), /^rpo\.lost: expected a non-negative integer/],
      [(r) => (r.rpo.nonPrefix = 'yes'), /^rpo\.nonPrefix: expected a boolean/],
      [
        (r) => (r.targets.rpoMs = undefined),
        /^targets\.rpoMs: expected a non-negative number or null, missing/,
      ],
      [(r) => (r.evidence.ledgerSha256 = 'not-hex'), /^evidence\.ledgerSha256: expected a hex SHA-256/],
      [(r) => (r.evidence.versions = { kafka: 3 }), /^evidence\.versions: expected an object of strings/],
      [(r) => r.timeline.reverse(), /not sorted by time/],
      [(r) => (r.timeline[0].at = 12), /^timeline\[0\]\.at: expected an ISO-8601 instant/],
      [(r) => (r.reason = ''), /^reason: expected a non-empty string \(verdict BREACHED\)/],
    ];
    for (const [mutate, expected] of cases) {
      const r = good();
      mutate(r);
      const errors = validateResult(r);
      expect(errors.join('\n'), String(expected)).toMatch(new RegExp(expected.source, 'm'));
    }
  });

  it('accepts a MET record without a reason, extra fields and a null RPO target; refuses non-objects', () => {
    const r = good();
    r.verdict = 'MET' as never;
    delete r.reason;
    r.targets!.rpoMs = null;
    r.rpo!.somethingNew = 42;
    (r as Record<string, unknown>).drift = { rtoMs: -100 };
    expect(validateResult(r)).toEqual([]);
    expect(validateResult(null)).toEqual(['result: expected an object, got null null']);
    expect(validateResult([])).toHaveLength(1);
  });
});

describe('buildResult: properties', () => {
  const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

  it('every record it builds honours the contract and survives a JSON round trip', () => {
    fc.assert(
      fc.property(
        instant,
        fc.nat({ max: 3_600_000 }),
        fc.constantFrom<Verdict>('MET', 'BREACHED', 'ABORTED', 'INCONCLUSIVE'),
        fc.array(
          fc.record({
            marker: fc.constantFrom('T_steady', 'T0', 'T0_done', 'T_detect', 'T_service', 'T_full', 'custom'),
            at: instant,
            note: maybe(fc.string()),
          }),
          {
            maxLength: 8,
          },
        ),
        maybe(fc.nat({ max: 100_000 })),
        maybe(fc.nat({ max: 100_000 })),
        fc.option(
          fc.record({
            lost: fc.nat(50),
            seconds: fc.nat({ max: 10_000_000 }).map((ms) => ms / 1000),
            nonPrefix: fc.boolean(),
          }),
          { nil: null },
        ),
        fc.option(instant, { nil: null }),
        fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: null }),
        (startedAt, duration, verdict, markers, detectMs, serviceMs, l, recoveryPointAt, rpoMs) => {
          const t0 = startedAt + 1_000;
          const r = buildResult(
            base({
              startedAt,
              finishedAt: startedAt + duration,
              verdict,
              reason: verdict === 'MET' ? undefined : 'why',
              markers: markers.map((m) => (m.note === undefined ? { marker: m.marker, at: m.at } : m)),
              t0,
              fullAt: undefined,
              targets: { rtoMs: 30_000, rpoMs, source: 'test' },
              recovery: {
                ok: 1,
                failed: 1,
                ...(detectMs !== undefined ? { detectAt: t0 + detectMs, detectMs } : {}),
                ...(serviceMs !== undefined
                  ? { serviceAt: t0 + serviceMs, serviceMs, unavailableMs: serviceMs }
                  : {}),
              },
              ledger: l && { ...ledger, ...l, lostIds: Array.from({ length: l.lost }, (_, i) => i) },
              recoveryPointAt,
            }),
          );
          expect(validateResult(r)).toEqual([]);
          const json = JSON.parse(JSON.stringify(r));
          expect(json).toEqual(r);
          expect(validateResult(json)).toEqual([]);
          const times = r.timeline.map((m) => Date.parse(m.at));
          expect(times).toEqual([...times].sort((a, b) => a - b));
          expect(r.timeline.filter((m) => m.marker === 'T0')).toHaveLength(
            Math.max(1, markers.filter((m) => m.marker === 'T0').length),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
