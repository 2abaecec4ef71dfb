// The glue between the pure core and the drills: planning defaults, the result record composed from
// a run's files, and the open-loop watch. Each test names the planted bug it exists to catch
// (`npm run mutants` plants them one by one and says which tests fail).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillDefinition, DrillEnv } from '../../src/drill/definition.ts';
import { planRun, type DrillPlan } from '../../src/drill/validate.ts';
import { composeResult } from '../../src/engine/record.ts';
import { RunFiles } from '../../src/engine/run-files.ts';
import { awaitSteadyState, maxOutstanding, watchRecovery } from '../../src/engine/watch.ts';
import { emptyClassification } from '../../src/measure/ledger.ts';
import { isCoarse, type LatencyBound } from '../../src/measure/recovery.ts';
import type { CanarySample } from '../../src/measure/types.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { fakeDrill } from './fake-drill.ts';

const topology = loadTopology();
const drill = (over: Partial<DrillDefinition> = {}) => fakeDrill('glue-drill', over);

const runFiles = () => new RunFiles(mkdtempSync(join(tmpdir(), 'firedrill-glue-')));

describe('planRun: the defaults the measurement spec fixes', () => {
  const plan = planRun(drill(), { drill: 'glue-drill' }, topology);
  it('K = 5 consecutive canaries (mutant: K 5 → 4)', () => expect(plan.consecutiveOk).toBe(5));
  it('a canary every 50 ms (mutant: interval 50 → 500 ms)', () => expect(plan.probeIntervalMs).toBe(50));
  it('each canary times out at 1 s; the latency bound is derived unless the drill sets one', () => {
    expect(plan.probeTimeoutMs).toBe(1_000);
    expect(plan.latencyBoundMs).toBeNull();
    expect(
      planRun(drill({ probe: { latencyBoundMs: 250 } }), { drill: 'glue-drill' }, topology).latencyBoundMs,
    ).toBe(250);
  });
  it('the deadline is 2 × RTO, capped at 10 min (mutant: the cap min → max)', () => {
    expect(plan.targets.rtoMs).toBe(300_000);
    expect(plan.deadlineMs).toBe(600_000);
    const failover = planRun(
      drill({ target: { component: 'timescaledb', scenario: 'failover' }, needs: ['timescaledb'] }),
      { drill: 'glue-drill' },
      topology,
    );
    expect(failover.deadlineMs).toBe(60_000);
    const restore = planRun(
      drill({ target: { component: 'timescaledb', scenario: 'restore' }, needs: ['timescaledb'] }),
      { drill: 'glue-drill' },
      topology,
    );
    expect(restore.deadlineMs).toBe(600_000); // a 1 h target is watched for 10 min, not 2 h
  });
  it("the drill's exactly-once promise reaches the plan (mutant: exactlyOnce ignored)", () => {
    expect(plan.exactlyOnce).toBe(false);
    expect(
      planRun(drill({ ledger: { exactlyOnce: true } }), { drill: 'glue-drill' }, topology).exactlyOnce,
    ).toBe(true);
  });
});

describe('planRun: canary settings that make no sense are refused before anything runs', () => {
  it.each([
    [{ intervalMs: 0 }, /probe\.intervalMs is 0 ms, which makes no sense/],
    [{ timeoutMs: -5 }, /probe\.timeoutMs is -5 ms/],
    [{ latencyBoundMs: 0 }, /probe\.latencyBoundMs is 0 ms/],
    [{ latencyBoundMs: 2_000 }, /latencyBoundMs 2000 ms is above the canary timeout 1000 ms/],
    [{ intervalMs: 200_000 }, /does not fit in the 600000 ms recovery deadline/],
  ])('refuses probe %o', (probe, why) =>
    expect(() => planRun(drill({ probe }), { drill: 'glue-drill' }, topology)).toThrow(why),
  );
  it('refuses an interval the given deadline cannot hold', () =>
    expect(() =>
      planRun(drill({ probe: { intervalMs: 100 } }), { drill: 'glue-drill', deadline: '400ms' }, topology),
    ).toThrow(/--deadline/));
});

// ---------------------------------------------------------------------------------------------

const T0 = 1_700_000_000_000;
const bound: LatencyBound = { boundMs: 100, source: 'test', steadyP99Ms: 5, steadySamples: 20 };

/** Canaries every 50 ms from T0 − 500 ms to T0 + 3 s; those arriving in [T0, T0 + outage) fail. */
function writeOutage(files: RunFiles, outage: number, slow = false): void {
  for (let at = T0 - 500; at < T0 + 3_000; at += 50) {
    const inOutage = at >= T0 && at < T0 + outage;
    const sample: CanarySample = inOutage
      ? slow
        ? { at, end: at + 400, ok: true }
        : { at, end: at + 2, ok: false, error: 'HTTP 503' }
      : { at, end: at + 2, ok: true };
    files.canary(sample);
  }
}

function compose(
  files: RunFiles,
  plan: DrillPlan,
  over: Partial<Parameters<typeof composeResult>[0]['outcome']> = {},
) {
  return composeResult({
    runId: 'glue-1',
    platform: 'local',
    plan,
    files,
    outcome: { injected: true, latency: bound, verify: { ledger: null }, ...over },
    config: {},
    versions: {},
    startedAt: T0 - 2_000,
  });
}

const ledger = { ...emptyClassification(), acked: 100 };

describe('composeResult: the record from a run’s files', () => {
  const plan = planRun(drill(), { drill: 'glue-drill' }, topology);
  const fired = (files: RunFiles) => {
    files.mark('T0', T0, 'fault');
    files.mark('T0_done', T0 + 3);
  };

  it('measures a confirmed outage: RTO at the completion of the first of 5, resolution and bound', () => {
    const files = runFiles();
    fired(files);
    files.mark('fault-confirmed', T0 + 10, 'seen');
    writeOutage(files, 1_000);
    const r = compose(files, plan, { verify: { ledger } });
    expect(r.verdict).toBe('MET');
    expect(r.rto.serviceMs).toBe(1_002);
    expect(r.rto.detectMs).toBe(0);
    expect(r.rto.resolutionMs).toBe(50);
    expect(r.rto.latencyBoundMs).toBe(100);
    expect(r.rto.outstandingAtService).toBe(0);
    expect(r.evidence.canaries).toMatchObject({ intervalMs: 50, timeoutMs: 1_000, latencyBound: bound });
    expect(isCoarse(r.rto.resolutionMs!, r.rto.probeIntervalMs)).toBe(false);
  });

  it('judges latency by the steady state’s bound: slow answers are an outage (mutant: bound ignored)', () => {
    const files = runFiles();
    fired(files);
    files.mark('fault-confirmed', T0 + 10, 'seen');
    writeOutage(files, 1_000, true);
    const r = compose(files, plan, { verify: { ledger } });
    expect(r.rto.serviceMs).toBe(1_002);
    expect(r.rto.detectMs).toBe(0);
  });

  it('a fault never confirmed on the system is INCONCLUSIVE, not MET (mutant: confirmation ignored)', () => {
    const files = runFiles();
    fired(files);
    writeOutage(files, 1_000);
    const r = compose(files, plan, { verify: { ledger } });
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.reason).toMatch(/never confirmed on the system/);
  });

  it('an error after injection is INCONCLUSIVE with its reason (mutant: no longer INCONCLUSIVE)', () => {
    const files = runFiles();
    fired(files);
    files.mark('fault-confirmed', T0 + 10, 'seen');
    writeOutage(files, 1_000);
    const r = compose(files, plan, { verify: { ledger }, errorReason: 'the watch crashed' });
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.reason).toBe('the drill failed after injection: the watch crashed');
  });

  it('a worker that died between T0 and the command is INCONCLUSIVE (mutant: the check removed)', () => {
    const files = runFiles();
    files.mark('T0', T0, 'fault');
    files.mark('inject-resumed', T0 + 5_000);
    files.mark('fault-confirmed', T0 + 5_100, 'seen');
    writeOutage(files, 0);
    const r = compose(files, plan, { verify: { ledger } });
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.reason).toMatch(/the worker died between T0 and the fault command returning/);
  });

  it('no canary after T0 is INCONCLUSIVE', () => {
    const files = runFiles();
    fired(files);
    files.mark('fault-confirmed', T0 + 10, 'seen');
    files.canary({ at: T0 - 100, end: T0 - 98, ok: true });
    const r = compose(files, plan, { verify: { ledger } });
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.reason).toMatch(/no canary completed after T0/);
  });

  it('a 1 h target not recovered by its 10 min deadline is not judged', () => {
    const restore = planRun(
      drill({ target: { component: 'timescaledb', scenario: 'restore' }, needs: ['timescaledb'] }),
      { drill: 'glue-drill' },
      topology,
    );
    const files = runFiles();
    fired(files);
    files.mark('fault-confirmed', T0 + 10, 'seen');
    writeOutage(files, 10_000);
    const r = compose(files, restore, { verify: { ledger } });
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.reason).toBe('not recovered within the 10 min deadline; the 1 h RTO target was not judged');
  });

  it('flags a coarse watch', () => {
    expect(isCoarse(100, 50)).toBe(false);
    expect(isCoarse(151, 50)).toBe(true);
    expect(isCoarse(300, 250)).toBe(false);
    expect(isCoarse(501, 250)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('watchRecovery: open loop against a target that hangs', () => {
  it('keeps starting canaries every interval while earlier ones hang, and credits completion', async () => {
    const files = runFiles();
    let t0 = 0;
    const outageMs = 600;
    // The fake target: requests that arrive in the outage hang until the canary's timeout.
    const hangingDrill = drill({
      canary: async () => {
        const now = Date.now();
        if (t0 && now >= t0 && now < t0 + outageMs) await new Promise((r) => setTimeout(r, 5_000));
      },
    });
    const plan = planRun(hangingDrill, { drill: 'glue-drill', deadline: '20s' }, topology);
    const env = {
      log: { info() {}, warn() {} },
      signal: new AbortController().signal,
    } as unknown as DrillEnv;
    setTimeout(() => {
      t0 = Date.now();
    }, 300);
    const outcome = await watchRecovery(hangingDrill, env, {}, plan, files, {
      // As the journal answers: nothing until the fault is fired, then its T0.
      fired: () => (t0 ? { t0, fault: { description: 'x', touched: [] }, settled: true } : undefined),
      latencyBoundMs: 100,
      signal: new AbortController().signal,
      heartbeat: () => {},
    });
    const samples = files.canaries();
    const rto = outcome.recovery.serviceMs!;
    expect(rto).toBeGreaterThanOrEqual(outageMs);
    expect(rto - outageMs).toBeLessThanOrEqual(plan.probeIntervalMs + 60);
    // Sequential canaries would have waited out each 1 s timeout: starts stayed ~50 ms apart.
    const starts = samples.map((s) => s.at).sort((a, b) => a - b);
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    expect(Math.max(...gaps)).toBeLessThan(150);
    expect(outcome.recovery.outstandingAtService).toBeGreaterThan(5);
    expect(samples.filter((s) => !s.ok).every((s) => /longer than 1000 ms/.test(s.error!))).toBe(true);
    expect(files.firstMarker('T_service')!.at).toBe(t0 + rto);
    expect(maxOutstanding(plan)).toBe(22);
  }, 15_000);
});

describe('watchRecovery: measures only from a settled T0', () => {
  it('canaries while the fault command runs never make a recovery (mutant: the early T0 measured)', async () => {
    const files = runFiles();
    const start = Date.now();
    const realT0 = start + 500;
    const outageMs = 300;
    // Healthy until the real T0, then refusing for outageMs.
    const d = drill({
      canary: async () => {
        const now = Date.now();
        if (now >= realT0 && now < realT0 + outageMs) throw new Error('refused');
      },
    });
    const plan = planRun(d, { drill: 'glue-drill', deadline: '20s' }, topology);
    const env = {
      log: { info() {}, warn() {} },
      signal: new AbortController().signal,
    } as unknown as DrillEnv;
    const fault = { description: 'x', touched: [] };
    const outcome = await watchRecovery(d, env, {}, plan, files, {
      // The journal while the command runs (an instant written before it), then the real T0.
      fired: () =>
        Date.now() < realT0 ? { t0: start, fault, settled: false } : { t0: realT0, fault, settled: true },
      latencyBoundMs: 100,
      signal: new AbortController().signal,
      heartbeat: () => {},
    });
    expect(outcome.recovery.detectAt).toBeGreaterThanOrEqual(realT0);
    expect(outcome.recovery.serviceMs!).toBeGreaterThanOrEqual(outageMs);
    expect(files.firstMarker('T_service')!.at).toBeGreaterThanOrEqual(realT0 + outageMs);
  }, 15_000);
});

describe('awaitSteadyState: the latency bound', () => {
  const env = { log: { info() {}, warn() {} }, signal: new AbortController().signal } as unknown as DrillEnv;
  const steady = (canaryMs: number, latencyBoundMs?: number) => {
    const d = drill({
      canary: () => new Promise((r) => setTimeout(r, canaryMs)),
      probe: { intervalMs: 10, ...(latencyBoundMs ? { latencyBoundMs } : {}) },
    });
    const plan = planRun(d, { drill: 'glue-drill' }, topology);
    return awaitSteadyState(d, env, {}, plan, runFiles(), {
      timeoutMs: 10_000,
      signal: new AbortController().signal,
      heartbeat: () => {},
    });
  };
  it('derives max(5 × p99, 100 ms) after at least 20 samples and records it on T_steady', async () => {
    const out = await steady(2);
    expect(out.ok).toBe(true);
    expect(out.latency!.boundMs).toBe(100);
    expect(out.latency!.steadySamples).toBeGreaterThanOrEqual(20);
  });
  it("refuses at once a drill's own bound below the steady-state latency, with the fix", async () => {
    const started = Date.now();
    const out = await steady(30, 10);
    expect(out.ok).toBe(false);
    expect(out.reason).toMatch(
      /latency bound \(probe\.latencyBoundMs 10 ms\) is below the steady-state p99 of \d+ ms/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
