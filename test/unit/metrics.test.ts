// The worker's metrics: what a recorded result sets, phase timing and in-progress tracking at the
// activity boundary, and the /metrics server (127.0.0.1 only, 0 = off, a busy port is not fatal).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DrillMetrics, resultTarget } from '../../src/metrics/drill-metrics.ts';
import { instrumentActivities } from '../../src/metrics/instrument.ts';
import { metricsPortFromEnv, serveMetrics } from '../../src/metrics/server.ts';
import { faultLeftRun, makeRun } from './report-fixtures.ts';

async function value(
  m: DrillMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = metric?.values.find((s) =>
    Object.entries(labels).every(([k, want]) => String(s.labels[k]) === want),
  );
  return v?.value;
}

describe('DrillMetrics', () => {
  it('zeroes every runs_total series and sets the targets for the catalogue', async () => {
    const m = new DrillMetrics({ defaults: false });
    m.describeDrills([
      { drill: 'kafka-broker-kill', variants: ['leader', 'follower'], rtoMs: 30_000, rpoMs: 0 },
      { drill: 'x', variants: ['v'], rtoMs: 5_000, rpoMs: null },
    ]);
    expect(
      await value(m, 'firedrill_drill_runs_total', {
        drill: 'kafka-broker-kill',
        variant: 'follower',
        verdict: 'BREACHED',
      }),
    ).toBe(0);
    expect(await value(m, 'firedrill_drill_target_rto_seconds', { drill: 'kafka-broker-kill' })).toBe(30);
    expect(await value(m, 'firedrill_drill_target_rpo_seconds', { drill: 'kafka-broker-kill' })).toBe(0);
    expect(await value(m, 'firedrill_drill_target_rpo_seconds', { drill: 'x' })).toBeUndefined();
    expect(await value(m, 'firedrill_drills_in_progress', { drill: 'x' })).toBe(0);
  });

  it('counts a result once and keeps the last RTO, RPO, verdict and MET time', async () => {
    const m = new DrillMetrics({ defaults: false });
    const met = makeRun({
      drill: 'calibration',
      variant: 'outage',
      serviceMs: 2_040,
      fullMs: 2_100,
      targetRtoMs: 30_000,
      targetRpoMs: 0,
    });
    m.recordResult(met);
    m.recordResult(met); // a retried recordResult
    const l = { drill: 'calibration', variant: 'outage' };
    expect(await value(m, 'firedrill_drill_runs_total', { ...l, verdict: 'MET' })).toBe(1);
    expect(await value(m, 'firedrill_drill_last_rto_service_seconds', l)).toBeCloseTo(2.04);
    expect(await value(m, 'firedrill_drill_last_rto_full_seconds', l)).toBeCloseTo(2.1);
    expect(await value(m, 'firedrill_drill_last_rpo_lost_writes', l)).toBe(0);
    expect(await value(m, 'firedrill_drill_last_verdict', { ...l, verdict: 'MET' })).toBe(1);
    const metAt = Date.parse(met.finishedAt) / 1000;
    expect(await value(m, 'firedrill_drill_last_met_timestamp_seconds', { drill: 'calibration' })).toBe(
      metAt,
    );
    expect(await value(m, 'firedrill_drill_target_rto_seconds', { drill: 'calibration' })).toBe(30);

    const breached = makeRun({
      drill: 'calibration',
      variant: 'outage',
      verdict: 'BREACHED',
      lost: 10,
      rpoSeconds: 1.5,
      start: Date.parse(met.finishedAt) + 60_000,
    });
    m.recordResult(breached);
    expect(await value(m, 'firedrill_drill_runs_total', { ...l, verdict: 'BREACHED' })).toBe(1);
    expect(await value(m, 'firedrill_drill_last_rpo_lost_writes', l)).toBe(10);
    expect(await value(m, 'firedrill_drill_last_rpo_seconds', l)).toBe(1.5);
    expect(await value(m, 'firedrill_drill_last_verdict', { ...l, verdict: 'MET' })).toBe(0);
    expect(await value(m, 'firedrill_drill_last_verdict', { ...l, verdict: 'BREACHED' })).toBe(1);
    expect(await value(m, 'firedrill_drill_last_met_timestamp_seconds', { drill: 'calibration' })).toBe(
      metAt,
    ); // still the MET one
  });

  it('seeds the gauges from stored results without counting them', async () => {
    const m = new DrillMetrics({ defaults: false });
    m.seed([makeRun({ drill: 'calibration', variant: 'outage' })]);
    expect(
      await value(m, 'firedrill_drill_runs_total', { drill: 'calibration', verdict: 'MET' }),
    ).toBeUndefined();
    expect(
      await value(m, 'firedrill_drill_last_met_timestamp_seconds', { drill: 'calibration' }),
    ).toBeGreaterThan(0);
  });

  it('FAULT-LEFT is a verdict series of its own, zeroed for the catalogue and counted', async () => {
    const m = new DrillMetrics({ defaults: false });
    m.describeDrills([{ drill: 'calibration', variants: ['outage'], rtoMs: 30_000, rpoMs: 0 }]);
    const l = { drill: 'calibration', variant: 'outage', verdict: 'FAULT-LEFT' };
    expect(await value(m, 'firedrill_drill_runs_total', l)).toBe(0);
    m.recordResult(faultLeftRun({ drill: 'calibration', variant: 'outage' }));
    expect(await value(m, 'firedrill_drill_runs_total', l)).toBe(1);
    expect(await value(m, 'firedrill_drill_last_verdict', l)).toBe(1);
    expect(await value(m, 'firedrill_drill_last_verdict', { ...l, verdict: 'MET' })).toBe(0);
  });

  it('exports Node defaults and names histograms by their samples', async () => {
    const names = await new DrillMetrics().exportedNames();
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).toContain('firedrill_drill_phase_duration_seconds_bucket');
    expect(names).not.toContain('firedrill_drill_phase_duration_seconds');
  });
});

describe('firedrill_faults_left', () => {
  const series = async (m: DrillMetrics) =>
    ((await m.registry.getMetricsAsJSON()).find((x) => x.name === 'firedrill_faults_left')?.values ?? [])
      .map((v) => [v.labels.target, v.labels.drill, v.value])
      .sort();

  it('is exported with help text that says what it counts', async () => {
    const m = new DrillMetrics({ defaults: false });
    expect(await m.exportedNames()).toContain('firedrill_faults_left');
    expect(await m.registry.metrics()).toContain(
      '# HELP firedrill_faults_left Journaled faults the compensation could not undo, still in place',
    );
  });

  it('holds one series per target and drill, set to its count; a fault reverted by hand drops out', async () => {
    const m = new DrillMetrics({ defaults: false });
    m.setFaultsLeft([
      { target: 'kafka/kafka-1', drill: 'kafka-broker-kill', runId: 'r1' },
      { target: 'kafka/kafka-1', drill: 'kafka-broker-kill', runId: 'r2' },
      { target: 'minio', drill: 'minio-restore', runId: 'r3' },
    ]);
    expect(await series(m)).toEqual([
      ['kafka/kafka-1', 'kafka-broker-kill', 2],
      ['minio', 'minio-restore', 1],
    ]);
    m.setFaultsLeft([{ target: 'kafka/kafka-1', drill: 'kafka-broker-kill', runId: 'r2' }]);
    expect(await series(m)).toEqual([['kafka/kafka-1', 'kafka-broker-kill', 1]]);
    m.setFaultsLeft([]);
    expect(await series(m)).toEqual([]);
    expect(await m.registry.metrics()).not.toMatch(/^firedrill_faults_left\{/m);
  });

  it('a FAULT-LEFT result raises it for its target at once, once, until the journal says otherwise', async () => {
    const m = new DrillMetrics({ defaults: false });
    const left = faultLeftRun({ runId: 'left-1', drill: 'kafka-broker-kill' });
    left.evidence.target = 'kafka/kafka-2';
    m.recordResult(makeRun({ runId: 'met-1', drill: 'kafka-broker-kill' }));
    expect(await series(m)).toEqual([]);
    m.recordResult(left);
    m.recordResult(left); // a retried recordResult
    expect(await series(m)).toEqual([['kafka/kafka-2', 'kafka-broker-kill', 1]]);
    // The journal lists the same run: counted once.
    m.setFaultsLeft([{ target: 'kafka/kafka-2', drill: 'kafka-broker-kill', runId: 'left-1' }]);
    expect(await series(m)).toEqual([['kafka/kafka-2', 'kafka-broker-kill', 1]]);
    // Reverted by hand: the next journal read has nothing left.
    m.setFaultsLeft([]);
    expect(await series(m)).toEqual([]);
  });

  it('a FAULT-LEFT result the journal does not list yet adds to what it lists', async () => {
    const m = new DrillMetrics({ defaults: false });
    m.setFaultsLeft([{ target: 'minio', drill: 'minio-restore', runId: 'old' }]);
    const left = faultLeftRun({ runId: 'new', drill: 'minio-restore' });
    left.evidence.component = 'minio';
    m.recordResult(left);
    expect(await series(m)).toEqual([['minio', 'minio-restore', 2]]);
  });

  it('a FAULT-LEFT result of a run the journal already lists is not counted twice', async () => {
    const m = new DrillMetrics({ defaults: false });
    m.setFaultsLeft([{ target: 'minio', drill: 'minio-restore', runId: 'left-1' }]);
    const left = faultLeftRun({ runId: 'left-1', drill: 'minio-restore' });
    left.evidence.component = 'minio';
    m.recordResult(left);
    expect(await series(m)).toEqual([['minio', 'minio-restore', 1]]);
  });

  it('names the target from the result: evidence.target, else its component, else the drill', () => {
    const r = makeRun({ drill: 'kafka-broker-kill' });
    expect(resultTarget(r)).toBe('kafka-broker-kill');
    r.evidence.component = 'kafka';
    expect(resultTarget(r)).toBe('kafka');
    r.evidence.target = 'kafka/kafka-0';
    expect(resultTarget(r)).toBe('kafka/kafka-0');
  });
});

describe('instrumentActivities', () => {
  it('times each drill activity as its phase and tracks the run until it is recorded', async () => {
    const m = new DrillMetrics({ defaults: false });
    let clock = 0;
    const input = { runId: 'r1', drill: 'calibration' };
    let inProgressDuringWatch: number | undefined;
    const acts = instrumentActivities(
      {
        async watchRecovery(_i: typeof input) {
          clock += 2_500;
          inProgressDuringWatch = await value(m, 'firedrill_drills_in_progress', { drill: 'calibration' });
          return 'watched';
        },
        async verifyData(_i: typeof input) {
          clock += 100;
          throw new Error('read-back failed');
        },
        async recordResult(i: typeof input) {
          m.recordResult(makeRun({ runId: i.runId, drill: 'calibration', variant: 'outage' }));
        },
        async writeGameDaySummary() {
          return 'untouched';
        },
      },
      m,
      () => clock,
    );
    expect(acts.watchRecovery.name).toBe('watchRecovery');
    expect(await acts.watchRecovery(input)).toBe('watched');
    expect(inProgressDuringWatch).toBe(1);
    await expect(acts.verifyData(input)).rejects.toThrow('read-back failed');
    await acts.recordResult(input);
    expect(await acts.writeGameDaySummary()).toBe('untouched');
    expect(await value(m, 'firedrill_drills_in_progress', { drill: 'calibration' })).toBe(0);
    const text = await m.registry.metrics();
    expect(text).toContain(
      'firedrill_drill_phase_duration_seconds_sum{drill="calibration",phase="recover",outcome="ok"} 2.5',
    );
    expect(text).toContain(
      'firedrill_drill_phase_duration_seconds_count{drill="calibration",phase="verify",outcome="error"} 1',
    );
  });
});

describe('/metrics server', () => {
  it('serves the registry on 127.0.0.1 and nothing else', async () => {
    const m = new DrillMetrics({ defaults: false });
    m.describeDrills([{ drill: 'calibration', variants: ['outage'], rtoMs: 30_000, rpoMs: 0 }]);
    const server = (await serveMetrics(m.registry, { port: 0 }))!;
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(server.url);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      expect(await res.text()).toContain('firedrill_drill_target_rto_seconds{drill="calibration"} 30');
      expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('runs on without /metrics when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const warnings: unknown[] = [];
    const log = { warn: (o: unknown) => warnings.push(o), info: () => {} } as never;
    try {
      expect(
        await serveMetrics(new DrillMetrics({ defaults: false }).registry, { port, log }),
      ).toBeUndefined();
      expect(JSON.stringify(warnings)).toMatch(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('reads FIREDRILL_METRICS_PORT (0 = off)', () => {
    expect(metricsPortFromEnv({})).toBe(9464);
    expect(metricsPortFromEnv({}, null)).toBeUndefined();
    expect(metricsPortFromEnv({ FIREDRILL_METRICS_PORT: '0' })).toBe(0);
    expect(metricsPortFromEnv({ FIREDRILL_METRICS_PORT: '9999' })).toBe(9999);
    expect(() => metricsPortFromEnv({ FIREDRILL_METRICS_PORT: 'nine' })).toThrow(/not a port number/);
  });
});
