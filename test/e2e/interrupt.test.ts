// Ctrl-C on `firedrill run` and `firedrill gameday`, as an operator presses it: the CLI is its
// drill's only worker. The first SIGINT aborts the drill and waits for its revert and record
// (verdict ABORTED; a game day starts no further drill); a second one stops waiting, says what is
// still in place and exits 130 — and a worker started afterwards finishes the revert, as that
// message says.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/measure/types.ts';
import { resultsUrl } from '../../src/platform/local/components/results.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import { ResultStore } from '../../src/results/store.ts';
import { CalibrationClient, HttpStatusError } from '../../src/systems/calibration/client.ts';
import { waitFor } from '../../src/util/wait.ts';
import { externalWorkers } from './engine-harness.ts';
import { firedrill, spawnFiredrill, type RunningCli } from './cli.ts';

const NAME = 'e2e-interrupt';
const reports = mkdtempSync(join(tmpdir(), 'firedrill-e2e-interrupt-'));
// The CLI's own sandbox and results database; its own worker (no external one).
const env = {
  FIREDRILL_REPORTS: reports,
  FIREDRILL_DATABASE_URL: undefined,
  FIREDRILL_EXTERNAL_WORKER: undefined,
  TEMPORAL_ADDRESS: undefined,
};
// An outage far longer than the test: only the abort can end it early.
const RUN = ['run', 'calibration', '--option', 'outage=5m', '--deadline', '8m', '--sandbox', NAME, '--json'];
const workers = externalWorkers(() => NAME);
const timings: string[] = [];

const target = () => new CalibrationClient(Sandbox.open({ name: NAME }).endpoints().calibration!.url!);

/** Whether the target takes a write and reads it back (the canary's path); the status when not. */
async function serving(): Promise<true | number | string> {
  const key = `interrupt-check/${Date.now()}-${Math.random()}`;
  try {
    await target().put(key, Buffer.from('x'));
    return (await target().get(key, AbortSignal.timeout(2_000))).toString() === 'x' || 'read back wrong';
  } catch (err) {
    return err instanceof HttpStatusError ? err.status : (err as Error).message;
  }
}

/** The run id the CLI prints, then T0_done in that run's markers: the fault command has returned. */
async function untilFaultInPlace(cli: RunningCli): Promise<string> {
  let runId = '';
  await waitFor(
    'the run id on stderr',
    async () => {
      runId = /\brun (\S+) \(workflow /.exec(cli.stderr())?.[1] ?? '';
      return runId !== '';
    },
    { timeoutMs: 180_000, intervalMs: 100 },
  );
  const markers = join(reports, runId, 'markers.jsonl');
  await waitFor(
    'T0_done in markers.jsonl',
    async () =>
      existsSync(markers) &&
      readFileSync(markers, 'utf8')
        .split('\n')
        .filter(Boolean)
        .some((l) => JSON.parse(l).marker === 'T0_done'),
    { timeoutMs: 120_000, intervalMs: 50 },
  );
  return runId;
}

async function recorded(runId: string): Promise<DrillResult | undefined> {
  const store = await ResultStore.connect(resultsUrl(Sandbox.open({ name: NAME }).component('results')));
  try {
    return await store.run(runId);
  } finally {
    await store.close();
  }
}

/** The CLI's exit, or a failure naming what it printed if it has not exited within `ms` (then killed). */
async function exitWithin(cli: RunningCli, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cli.child.kill('SIGKILL');
      reject(
        new Error(
          `the CLI did not exit within ${ms} ms of the signal; stderr:\n${cli.stderr().slice(-3_000)}`,
        ),
      );
    }, ms);
  });
  try {
    return await Promise.race([cli.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** --json: the result record is the last line of stdout. */
function lastJson(stdout: string): DrillResult {
  const last = stdout.trim().split('\n').at(-1)!;
  expect(last.startsWith('{'), `the last line of stdout is not the record:\n${stdout.slice(-3_000)}`).toBe(
    true,
  );
  return JSON.parse(last) as DrillResult;
}

beforeAll(async () => {
  const up = await firedrill(
    ['sandbox', 'up', '--only', 'results,temporal,calibration', '--name', NAME, '--delete-history'],
    env,
  );
  expect(up.code, up.stderr).toBe(0);
});

afterAll(async () => {
  workers.killAll();
  if (Sandbox.exists({ name: NAME })) await Sandbox.open({ name: NAME }).down();
  console.log(`interrupt figures:\n  ${timings.join('\n  ')}`);
});

describe('Ctrl-C on firedrill run', () => {
  it('the first SIGINT aborts, reverts and records the run as ABORTED, then exits non-zero', async () => {
    const cli = spawnFiredrill(RUN, env);
    const runId = await untilFaultInPlace(cli);
    expect(await serving()).toBe(503); // the outage is in place: only the revert can end it now

    const sent = Date.now();
    cli.child.kill('SIGINT');
    const res = await exitWithin(cli, 60_000);
    const tookMs = Date.now() - sent;
    timings.push(`first Ctrl-C → exit ${res.code} after ${tookMs} ms (outage 5 min)`);

    expect(res.code, res.stderr).toBe(1);
    const notices = res.stderr.split('\n').filter((l) => l.startsWith('firedrill: SIGINT'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /aborting drill calibration\/outage .*and reverting its fault; .*Ctrl-C again stops waiting/,
    );
    expect(res.stdout).toMatch(/calibration\s+outage\s+ABORTED/);
    const printed = lastJson(res.stdout);
    expect(printed.runId).toBe(runId);
    expect(printed.verdict).toBe('ABORTED');
    expect(printed.reason).toMatch(/interrupted by the operator \(SIGINT\)/);
    expect(tookMs).toBeLessThan(60_000); // the abort ended it, not the 5-minute outage

    const stored = await recorded(runId);
    expect(stored?.verdict).toBe('ABORTED');
    expect(stored?.timeline.some((m) => m.marker === 'reverted')).toBe(true);
    expect(await serving()).toBe(true);
    expect(await target().healthy()).toBe(true);
  });

  it('a second SIGINT says what is left in place and exits 130; a worker started then finishes the revert', async () => {
    const cli = spawnFiredrill(RUN, env);
    const runId = await untilFaultInPlace(cli);
    cli.child.kill('SIGINT');
    // Two signals sent at once arrive as one (a pending signal is not queued twice): the second
    // goes once the first has been taken, as a second keypress would.
    await waitFor('the first notice', async () => cli.stderr().includes('firedrill: SIGINT: aborting'), {
      intervalMs: 5,
    });
    cli.child.kill('SIGINT');
    const res = await exitWithin(cli, 60_000);
    expect(res.code, res.stderr).toBe(130);
    const at = res.stderr.indexOf('firedrill: stopped waiting.');
    expect(at, res.stderr).toBeGreaterThan(0);
    const said = res.stderr.slice(at).trim().split('\n');
    expect(said).toHaveLength(2);
    const head = `^firedrill: stopped waiting\\. run ${runId} \\(calibration/outage\\), phase \\S+: `;
    expect(said[1]).toContain('firedrill-target:calibration/main@local:e2e-interrupt stays open in Temporal');
    expect(said[1]).toContain(`FIREDRILL_SANDBOX=${NAME} npm run worker`);
    expect(said[1]).toContain('`firedrill faults`');
    // The abort was sent, and the CLI's worker may have got some way with the revert before it
    // died: what the message says must be what the target shows.
    const state = await serving();
    if (/ NOT reverted yet/.test(said[0]!)) {
      expect(said[0]).toMatch(
        new RegExp(`${head}the fault is in place since \\S+ \\(T0\\) and NOT reverted yet`),
      );
      // While the revert is under way the target may already be back.
      if (!said[0]!.includes('the revert is under way')) expect(state).toBe(503);
    } else {
      expect(said[0]).toMatch(new RegExp(`${head}the fault is reverted; only the record is left`));
      expect(state).toBe(true);
    }
    timings.push(`second Ctrl-C said: ${said[0]!.replace(/^.*?phase /, 'phase ')}`);

    // What the message tells the operator to do: start a worker. It finishes the abort.
    const started = Date.now();
    workers.spawn();
    const connection = await Connection.connect({
      address: Sandbox.open({ name: NAME }).endpoints().temporal!.address!,
    });
    try {
      const handle = new Client({ connection }).workflow.getHandle(
        'firedrill-target:calibration/main@local:e2e-interrupt',
      );
      const result = (await handle.result()) as DrillResult;
      timings.push(
        `second Ctrl-C → exit 130; a new worker finished the revert in ${Date.now() - started} ms`,
      );
      expect(result.runId).toBe(runId);
      expect(result.verdict).toBe('ABORTED');
    } finally {
      await connection.close();
      workers.killAll();
    }
    expect((await recorded(runId))?.verdict).toBe('ABORTED');
    expect(await serving()).toBe(true);
  });
});

describe('Ctrl-C on firedrill gameday', () => {
  it('the first SIGINT aborts the running drill, starts no other, and the summary says so', async () => {
    // Five calibration variants one after another; interrupted inside the first one's outage.
    const cli = spawnFiredrill(
      ['gameday', '--drills', 'calibration', '--variants', 'all', '--sandbox', NAME],
      env,
    );
    let gameDayId = '';
    await waitFor(
      'the game-day id on stderr',
      async () => !!(gameDayId = /game day (gameday-\S+):/.exec(cli.stderr())?.[1] ?? ''),
      { timeoutMs: 180_000, intervalMs: 100 },
    );
    const dir = join(reports, gameDayId);
    await waitFor(
      "T0_done in the first drill's markers",
      async () =>
        existsSync(dir) &&
        readdirSync(dir).some((run) => {
          const markers = join(dir, run, 'markers.jsonl');
          return existsSync(markers) && readFileSync(markers, 'utf8').includes('"marker":"T0_done"');
        }),
      { timeoutMs: 120_000, intervalMs: 20 },
    );
    const sent = Date.now();
    cli.child.kill('SIGINT');
    const res = await exitWithin(cli, 60_000);
    timings.push(`game day: first Ctrl-C → exit ${res.code} after ${Date.now() - sent} ms`);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(
      /firedrill: SIGINT: aborting game day gameday-\S+ \(its running drill; no further drill starts\)/,
    );
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
      results: ({ result: DrillResult } | { variant: string; error: string })[];
    };
    expect(summary.results).toHaveLength(5);
    const [first, ...rest] = summary.results;
    expect(first && 'result' in first && first.result.verdict).toBe('ABORTED');
    for (const r of rest)
      expect('error' in r && r.error).toMatch(
        /^not started: the game day was stopped \(interrupted by the operator \(SIGINT\)\)$/,
      );
    expect(res.stdout).toMatch(/calibration\s+outage\s+ABORTED/);
    expect(res.stdout).toContain('did not run: not started: the game day was stopped');
    const recordedFirst = await recorded((first as { result: DrillResult }).result.runId);
    expect(recordedFirst?.verdict).toBe('ABORTED');
    expect(await serving()).toBe(true);
  });
});
