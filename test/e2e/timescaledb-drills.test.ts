// The TimescaleDB drills end to end on real Patroni clusters (PostgreSQL 15 ×3, etcd, pgBackRest):
// every failover variant with asynchronous replication (the model's settings) and again on a cluster
// bootstrapped with synchronous_mode: true, the worker SIGKILLed mid-failover, bad input refused
// before injection, and the pgBackRest restore after the data is destroyed.
//
// synchronous_mode comes from a second sandbox bootstrapped with the DCS override (as if the
// ConfigMap said so), not from a drill that PATCHes Patroni's configuration: the drill then
// measures a cluster as it is deployed, the evidence reads the setting back from Patroni, and no
// run that aborts before injection can leave a changed setting behind.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDrill } from '../../src/cli/run.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import { resultsUrl } from '../../src/platform/local/components/results.ts';
import { DCS_OVERRIDES_ENV } from '../../src/platform/local/components/timescaledb/config.ts';
import type { BackupRecord } from '../../src/systems/timescaledb/actions.ts';
import { LocalPlatform } from '../../src/platform/local/platform.ts';
import { ResultStore } from '../../src/results/store.ts';
import { waitFor } from '../../src/util/wait.ts';
import { abortSignal } from '../../workflows/names.ts';
import { externalWorkers, refusal, useEngine, type Engine } from './engine-harness.ts';

/** Every failover result, by "async/node-loss" etc., for the comparison printed at the end. */
const measured: Record<string, DrillResult> = {};
const markers = (r: DrillResult) => r.timeline.map((m) => m.marker);
const note = (r: DrillResult, marker: string) => r.timeline.find((m) => m.marker === marker)?.note ?? '';

/** The cluster as the sandbox sees it: every member up, one primary, the others streaming. */
async function clusterState(engine: Engine) {
  const health = (await engine.sandbox().status()).timescaledb!;
  return {
    health,
    up: health.filter((m) => m.up).length,
    primaries: health.filter((m) => m.detail.startsWith('primary running')).map((m) => m.member),
    streaming: health.filter((m) => m.detail.startsWith('replica running, streaming')).map((m) => m.member),
  };
}

async function expectHealthyCluster(engine: Engine): Promise<void> {
  const c = await clusterState(engine);
  expect(c.up, JSON.stringify(c.health)).toBe(3);
  expect(c.primaries, JSON.stringify(c.health)).toHaveLength(1);
  expect(c.streaming, JSON.stringify(c.health)).toHaveLength(2);
}

/** The message of a drill the workflow refused (DrillRefused), or a failure if it ran. */
async function recorded(engine: Engine, runId: string): Promise<DrillResult | undefined> {
  const store = await ResultStore.connect(resultsUrl(engine.sandbox().component('results')));
  try {
    return await store.run(runId);
  } finally {
    await store.close();
  }
}

/** What every failover run must show, whatever the variant and the replication mode. */
function expectFailover(r: DrillResult, sync: boolean): void {
  expect(r.rpo.measured, r.reason).toBe(true);
  expect(r.targets.rtoMs).toBe(30_000);
  // Asynchronous replication promises nothing: reported, not judged. synchronous_mode promises
  // zero loss, so the run is judged against RPO 0 (measurement spec, "Verdicts").
  expect(r.targets.rpoMs).toBe(sync ? 0 : null);
  if (sync) expect(r.targets.source).toMatch(/synchronous_mode is on/);
  expect(
    r.timeline.some((m) => m.marker === 'fault-confirmed'),
    r.reason,
  ).toBe(true);
  expect(r.rto.serviceMs).toBeGreaterThan(0);
  expect(r.rto.detectMs!).toBeLessThan(1_000); // clients see the fault at once
  expect(r.rto.fullMs!).toBeGreaterThanOrEqual(r.rto.serviceMs!);
  expect(r.rpo.acked).toBeGreaterThan(200);
  expect(r.rpo.corrupted).toBe(0);
  expect(r.rpo.unexpected).toBe(0);
  expect(r.rpo.nonPrefix).toBe(false);
  for (const m of ['T_steady', 'T0', 'T_detect', 'T_service', 'T_full', 'T_verified', 'reverted'])
    expect(markers(r), m).toContain(m);
  // The Patroni settings the numbers were measured with, read back from the cluster.
  expect(r.evidence.config).toMatchObject({
    ttl: 30,
    loop_wait: 10,
    retry_timeout: 10,
    maximum_lag_on_failover: 1_048_576,
    synchronous_mode: sync,
    use_pg_rewind: true,
  });
  if (!sync) expect((r.evidence.config.server as Record<string, string>).synchronous_standby_names).toBe('');
  // Plain PostgreSQL in the sandbox: the extension was attempted and the ledger stays a table.
  expect(r.evidence.config.ledgerTable).toMatchObject({
    hypertable: false,
    timescaledb: { available: false, error: expect.stringMatching(/timescaledb/) },
  });
  if (sync) {
    expect(r.rpo.lost, 'synchronous_mode must lose no acknowledged write').toBe(0);
    expect(note(r, 'T0')).toMatch(/sync standby timescaledb-\d/);
    // Full recovery includes commits waiting for a synchronous standby again.
    const syncMarks = r.timeline.filter((m) => m.marker === 'sync-standby');
    expect(syncMarks.at(-1)?.note).toMatch(/is the synchronous standby/);
    expect(Date.parse(syncMarks.at(-1)!.at)).toBeLessThanOrEqual(
      Date.parse(r.timeline.find((m) => m.marker === 'T_full')!.at),
    );
  }
}

/** Per variant: the mechanism that must have happened, and RTO bounds it implies (ttl 30, loop_wait 10). */
function expectVariant(r: DrillResult, variant: string, sync: boolean): void {
  const rto = r.rto.serviceMs!;
  if (variant === 'node-loss') {
    // Nobody releases the leader key: it expires ttl after its last refresh (≤ loop_wait before T0).
    expect(rto).toBeGreaterThan(17_000);
    expect(rto).toBeLessThan(60_000);
    expect(markers(r)).toEqual(expect.arrayContaining(['promoted', 'node-back', 'old-primary-streaming']));
    if (sync) expect(note(r, 'promoted')).toMatch(/the synchronous standby/);
  } else if (variant === 'graceful') {
    // Patroni releases the key on shutdown: a replica takes over within a few seconds.
    expect(r.verdict, r.reason).toBe('MET');
    expect(rto).toBeLessThan(15_000);
    expect(markers(r)).toEqual(expect.arrayContaining(['promoted', 'node-back', 'old-primary-streaming']));
    expect(r.rpo.lost).toBe(0); // a clean shutdown ships every WAL record first
  } else {
    // Patroni notices on its next HA cycle (≤ loop_wait) and restarts PostgreSQL in place.
    expect(r.verdict, r.reason).toBe('MET');
    expect(rto).toBeLessThan(25_000);
    expect(markers(r)).toContain('restarted-in-place');
    expect(markers(r)).not.toContain('promoted');
    expect(r.rpo.lost).toBe(0); // crash recovery replays every committed transaction
  }
  expect(['MET', 'BREACHED']).toContain(r.verdict);
  if (r.verdict === 'BREACHED') expect(r.reason).toMatch(/RTO .* exceeds target 30 s/);
}

function summary(): void {
  const rows = Object.entries(measured).map(
    ([key, r]) =>
      `${key.padEnd(26)} ${r.verdict.padEnd(9)} service ${((r.rto.serviceMs ?? NaN) / 1000).toFixed(1).padStart(5)} s  full ${((r.rto.fullMs ?? NaN) / 1000).toFixed(1).padStart(5)} s  acked ${String(r.rpo.acked).padStart(6)}  lost ${String(r.rpo.lost).padStart(4)}  unknown ${r.rpo.unknown}  RPO ${r.rpo.seconds} s`,
  );
  console.log(`[timescaledb drills]\n${rows.join('\n')}`);
}

describe('timescaledb drills, asynchronous replication (the model: ttl 30, loop_wait 10, synchronous_mode false)', () => {
  const engine = useEngine('e2e-tsdb-drills', ['timescaledb']);
  const platform = () => new LocalPlatform(engine.sandboxName);

  it('refuses a restore when no backup exists, naming what is missing, and injects nothing', async () => {
    const message = await refusal(engine, { drill: 'timescaledb-restore' });
    expect(message).toMatch(/no pgBackRest backup of stanza "timescaledb" exists/);
    expect(message).toMatch(/take a full backup first/);
    await expectHealthyCluster(engine);
  });

  it('refuses a failover when no replica is healthy, naming what is missing', async () => {
    const sb = engine.sandbox();
    const primary = (await clusterState(engine)).primaries[0]!;
    const replicas = sb.component('timescaledb').members.filter((m) => m.name !== primary);
    for (const m of replicas) await sb.kill('timescaledb', m.index);
    try {
      const message = await refusal(engine, { drill: 'timescaledb-failover', variant: 'graceful' });
      expect(message).toMatch(/has no healthy replica to fail over to/);
      expect(message).toMatch(
        new RegExp(`${replicas[0]!.name} .*not streaming|${replicas[0]!.name} not registered`),
      );
    } finally {
      await engine.sandbox().restart('timescaledb');
    }
    expect((await clusterState(engine)).primaries).toEqual([primary]); // nothing was injected
    await expectHealthyCluster(engine);
  });

  for (const variant of ['node-loss', 'graceful', 'postgres-crash']) {
    it(`failover ${variant}: measured, the old primary back in the cluster, nothing corrupted`, async () => {
      const r = await engine.run({ drill: 'timescaledb-failover', variant, deadline: '3m' });
      measured[`async/${variant}`] = r;
      expectFailover(r, false);
      expectVariant(r, variant, false);
      await expectHealthyCluster(engine);
      expect((await recorded(engine, r.runId))?.verdict).toBe(r.verdict);
    });
  }

  let full: BackupRecord | undefined;

  it('restore aborted while the ledger writes after the backup: the fault is never fired, the cluster is untouched', async () => {
    // The nightly full backup the schedule would have taken; the drill adds the hourly incremental.
    full = (await platform().action('timescaledb', 'backup', { type: 'full' })) as BackupRecord;
    expect(full.type).toBe('full');
    const before = (await clusterState(engine)).primaries;
    const { input, component } = await engine.input({ drill: 'timescaledb-restore' });
    const handle = await startDrill(engine.client(), input, component);
    const markerFile = join(engine.reportsDir, input.runId, 'markers.jsonl');
    const seen = () => (existsSync(markerFile) ? readFileSync(markerFile, 'utf8') : '');
    await waitFor('the incremental backup', async () => seen().includes('"backup-done"'), {
      timeoutMs: 120_000,
      intervalMs: 100,
    });
    const abortedAt = Date.now();
    await handle.signal(abortSignal, 'aborted by the test during the wait after the backup');
    const r = (await handle.result()) as DrillResult;
    expect(r.verdict).toBe('ABORTED');
    console.log(`[timescaledb drills] restore aborted: result ${Date.now() - abortedAt} ms after the signal`);
    // The injection step is told (env.signal) and the workflow waits for it to end before it
    // compensates: when the result is in, nothing was fired, and nothing is fired later.
    const unfired = () => {
      expect(seen()).not.toContain('"T0"');
      expect(existsSync(join(engine.reportsDir, input.runId, 'fault.json'))).toBe(false);
    };
    unfired();
    await new Promise((res) => setTimeout(res, 3_000));
    unfired();
    expect((await clusterState(engine)).primaries).toEqual(before);
    await expectHealthyCluster(engine);
  });

  it('restore: full + incremental backup, data destroyed, restored to the latest archived WAL; ledger and recovery point agree', async () => {
    const r = await engine.run({ drill: 'timescaledb-restore' });
    console.log(
      `[timescaledb drills] restore: ${r.verdict}, RTO service ${r.rto.serviceMs} ms, full ${r.rto.fullMs} ms; ` +
        `${r.rpo.lost} of ${r.rpo.acked} acknowledged writes lost, RPO ${r.rpo.seconds} s (ledger) vs ${r.rpo.recoveryPointSeconds} s (recovery point)`,
    );
    expect(r.verdict, r.reason).toBe('MET');
    expect(r.targets).toMatchObject({ rtoMs: 3_600_000, rpoMs: 3_600_000 });
    expect(r.rto.serviceMs).toBeGreaterThan(0);
    expect(r.rto.fullMs!).toBeGreaterThan(r.rto.serviceMs!);
    const m = markers(r);
    for (const k of [
      'backup-started',
      'backup-done',
      'T0',
      'restore-started',
      'recovered',
      'wal-continuity',
      'primary-up',
      'replicas-reseeded',
      'T_service',
      'T_full',
    ]) {
      expect(m, k).toContain(k);
    }
    // The incremental was taken before the fault, on top of the full one, and writes went on after it.
    const restore = r.evidence.config.restore as {
      backup: BackupRecord;
      lastReplayedCommitAt: number;
      replaySegment: string;
      archiveMaxBefore: string;
    };
    expect(restore.backup.type).toBe('incr');
    expect(restore.backup.label.startsWith(`${full!.label}_`)).toBe(true); // an incremental on top of the full one
    const t0 = Date.parse(r.timeline.find((x) => x.marker === 'T0')!.at);
    expect(restore.backup.stoppedAt).toBeLessThan(t0 - 60_000);
    // The recovery point comes from archived WAL beyond the backup, and it bounds what was lost.
    expect(restore.lastReplayedCommitAt).toBeGreaterThan(restore.backup.stoppedAt);
    expect(r.rpo.recoveryPointAt).toBe(new Date(restore.lastReplayedCommitAt).toISOString());
    expect(r.rpo.lost).toBeGreaterThan(0); // the unarchived tail of the WAL went with the data directories
    expect(r.rpo.corrupted).toBe(0);
    expect(r.rpo.nonPrefix).toBe(false); // a recovery point: everything before it survived
    expect(r.rpo.seconds).toBeGreaterThan(0);
    expect(r.rpo.seconds).toBeLessThanOrEqual(75); // ≤ writes-after-backup: the archive carried the rest
    expect(Math.abs(r.rpo.seconds! - r.rpo.recoveryPointSeconds!)).toBeLessThan(1);
    expect(r.evidence.config.walContinuity).toMatchObject({
      gapFree: true,
      missing: [],
      reachedArchiveEnd: true,
      beyondBackup: true,
    });
    expect(r.evidence.config).toMatchObject({ archive_timeout: '60s', archive_mode: 'on' });
    await expectHealthyCluster(engine);
    expect((await recorded(engine, r.runId))?.rpo.recoveryPointAt).toBe(r.rpo.recoveryPointAt);
  });
});

describe('timescaledb drills, synchronous_mode: true (the same cluster bootstrapped with the DCS override)', () => {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env[DCS_OVERRIDES_ENV];
    process.env[DCS_OVERRIDES_ENV] = JSON.stringify({ synchronous_mode: true });
  });
  // Workers are separate processes here, as in production, so that one can be SIGKILLed.
  const engine = useEngine('e2e-tsdb-drills-sync', ['timescaledb'], { worker: false });
  const workers = externalWorkers(() => engine.sandboxName);
  const spawnWorker = () => workers.spawn();
  const killWorker = workers.kill;
  beforeAll(() => {
    if (saved === undefined) delete process.env[DCS_OVERRIDES_ENV];
    else process.env[DCS_OVERRIDES_ENV] = saved;
    spawnWorker();
  });
  afterAll(() => {
    workers.killAll();
    summary();
  });

  for (const variant of ['node-loss', 'graceful', 'postgres-crash']) {
    it(`failover ${variant}: no acknowledged write lost`, async () => {
      const r = await engine.run({ drill: 'timescaledb-failover', variant, deadline: '3m' });
      measured[`sync/${variant}`] = r;
      expectFailover(r, true);
      expectVariant(r, variant, true);
      await expectHealthyCluster(engine);
    });
  }

  it('SIGKILL of the worker mid-failover: another worker finishes the drill, the cluster ends healthy, the run is recorded', async () => {
    const first = workers.last()!;
    const { input, component } = await engine.input({
      drill: 'timescaledb-failover',
      variant: 'node-loss',
      deadline: '3m',
    });
    const handle = await startDrill(engine.client(), input, component);
    const markerFile = join(engine.reportsDir, input.runId, 'markers.jsonl');
    const seen = () => (existsSync(markerFile) ? readFileSync(markerFile, 'utf8') : '');
    // Mid-failover: the primary is gone and clients have noticed; the leader key has not expired.
    // A drill refused or finished before T_detect fails the test now, not after the wait.
    const ended = handle.result().then(() => {
      throw new Error('the drill ended before T_detect');
    });
    await Promise.race([
      waitFor('T_detect', async () => seen().includes('"T_detect"'), { timeoutMs: 120_000, intervalMs: 20 }),
      ended,
    ]);
    killWorker(first);
    const c = await clusterState(engine);
    expect(c.primaries).toEqual([]); // the fault is in place and nobody is watching
    spawnWorker();
    const r = (await handle.result()) as DrillResult;
    measured['sync/node-loss, worker killed'] = r;
    expect(['MET', 'BREACHED']).toContain(r.verdict);
    expect(r.rpo.measured).toBe(true);
    expect(r.rpo.lost).toBe(0);
    expect(markers(r)).toEqual(
      expect.arrayContaining(['T0', 'T_service', 'T_full', 'promoted', 'node-back', 'reverted']),
    );
    await expectHealthyCluster(engine);
    expect((await recorded(engine, input.runId))?.verdict).toBe(r.verdict);
  });
});
