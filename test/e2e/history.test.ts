// The compliance history survives the sandbox: a recorded run and a game-day schedule are still
// there after `sandbox down` + `sandbox up`, after a crash (every process SIGKILLed, sandbox.json
// stale), and after an upgrade from the layout that kept both databases inside the sandbox folder.
// Only `sandbox up --delete-history` removes them, and it says what it removed.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { resultsUrl } from '../../src/platform/local/components/results.ts';
import { markedProcesses } from '../../src/platform/local/process.ts';
import { historyDirFor } from '../../src/platform/local/history.ts';
import { Sandbox, sandboxHome } from '../../src/platform/local/sandbox.ts';
import { ResultStore } from '../../src/results/store.ts';
import { canarySamples, makeRun } from '../unit/report-fixtures.ts';
import { firedrill } from './cli.ts';

const NAME = 'e2e-history';
const ONLY = 'results,temporal';
const SCHEDULE = 'nightly-history';
const run = makeRun({
  runId: `calibration-outage-history-${Date.now()}`,
  drill: 'calibration',
  variant: 'outage',
  start: Date.now() - 3_600_000,
});
const dir = () => Sandbox.dirFor(NAME);
const history = () => historyDirFor(NAME, sandboxHome());
const cli = (...args: string[]) => firedrill(args, { FIREDRILL_DATABASE_URL: undefined });

async function withTemporal<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({
    address: Sandbox.open({ name: NAME }).endpoints().temporal!.address!,
  });
  try {
    return await work(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

/** The run ids the report of the last day shows, and whether the schedule still exists. */
async function whatSurvived(): Promise<{ runs: string[]; schedule: boolean }> {
  const res = await cli('report', '--format', 'json', '--since', '1d', '--sandbox', NAME);
  expect(res.code, res.stderr).toBe(0);
  const runs = (JSON.parse(res.stdout) as { runs: { result: { runId: string } }[] }).runs.map(
    (r) => r.result.runId,
  );
  const schedule = await withTemporal((c) =>
    c.schedule
      .getHandle(SCHEDULE)
      .describe()
      .then(
        () => true,
        () => false,
      ),
  );
  return { runs, schedule };
}

async function up(...extra: string[]) {
  const res = await cli('sandbox', 'up', '--only', ONLY, '--name', NAME, ...extra);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
}

async function down() {
  const res = await cli('sandbox', 'down', '--name', NAME);
  expect(res.code, res.stderr).toBe(0);
  expect(markedProcesses(`${NAME}@${dir()}`)).toEqual([]);
}

afterAll(async () => {
  if (Sandbox.exists({ name: NAME })) await Sandbox.open({ name: NAME }).down();
  rmSync(history(), { recursive: true, force: true });
});

describe('the history outlives the sandbox', () => {
  it('a run and a schedule recorded, then sandbox down + sandbox up: both still there', async () => {
    if (Sandbox.exists({ name: NAME })) await Sandbox.open({ name: NAME }).down();
    await up('--delete-history'); // this test's own, whatever an earlier run left
    const store = await ResultStore.connect(resultsUrl(Sandbox.open({ name: NAME }).component('results')));
    try {
      await store.saveRun(run, canarySamples(run), 'wf-history');
    } finally {
      await store.close();
    }
    await withTemporal((c) =>
      c.schedule.create({
        scheduleId: SCHEDULE,
        spec: { cronExpressions: ['0 3 * * *'] },
        action: { type: 'startWorkflow', workflowType: 'gameDayWorkflow', taskQueue: 'firedrill', args: [] },
        state: { paused: true, note: 'history test' },
      }),
    );
    expect(await whatSurvived()).toEqual({ runs: [run.runId], schedule: true });

    await down();
    const again = await up();
    expect(again).not.toContain('new database');
    expect(again).toContain(`history: ${history()}`);
    expect(await whatSurvived()).toEqual({ runs: [run.runId], schedule: true });
  });

  it('after a crash (every process SIGKILLed, sandbox.json left behind) the next up keeps them', async () => {
    const sandbox = Sandbox.open({ name: NAME });
    await sandbox.kill('results');
    await sandbox.kill('temporal');
    expect(existsSync(join(dir(), 'sandbox.json'))).toBe(true);
    expect(existsSync(join(history(), 'results', 'data', 'postmaster.pid'))).toBe(true); // stale now
    await up();
    expect(await whatSurvived()).toEqual({ runs: [run.runId], schedule: true });
  });

  it('a results database of another PostgreSQL major is refused, naming --delete-history', async () => {
    await down();
    const versionFile = join(history(), 'results', 'data', 'PG_VERSION');
    const real = readFileSync(versionFile, 'utf8');
    writeFileSync(versionFile, '14\n');
    try {
      const res = await cli('sandbox', 'up', '--only', ONLY, '--name', NAME);
      expect(res.code).toBe(2);
      expect(res.stderr.trim()).toMatch(
        /^firedrill: the results database in \S+ was written by PostgreSQL 14; this sandbox runs PostgreSQL 15; .*`firedrill sandbox up --delete-history` starts afresh and deletes every recorded run$/,
      );
      expect(markedProcesses(`${NAME}@${dir()}`)).toEqual([]);
    } finally {
      writeFileSync(versionFile, real);
    }
  });

  it('the old layout (databases inside the sandbox folder, password lost with sandbox.json) is kept', async () => {
    const h = history();
    mkdirSync(join(dir(), 'results'), { recursive: true });
    mkdirSync(join(dir(), 'temporal'), { recursive: true });
    renameSync(join(h, 'results', 'data'), join(dir(), 'results', 'data'));
    renameSync(join(h, 'temporal', 'temporal.db'), join(dir(), 'temporal', 'temporal.db'));
    rmSync(join(h, 'results', 'credentials.json'));
    rmSync(join(dir(), 'sandbox.json'), { force: true });
    const out = await up();
    expect(out).toContain(`kept ${join(h, 'results', 'data')} from the old sandbox folder`);
    expect(out).toContain(`kept ${join(h, 'temporal', 'temporal.db')} from the old sandbox folder`);
    expect(await whatSurvived()).toEqual({ runs: [run.runId], schedule: true });
  });

  it('only sandbox up --delete-history removes them, and says what it removed', async () => {
    await down();
    const out = await up('--delete-history');
    expect(out).toMatch(
      new RegExp(
        `deleted the history of sandbox "${NAME}": the results database \\(every recorded run, marker and canary sample\\) at \\S+ \\(\\d+\\.\\d MB\\) and the Temporal database \\(every schedule and workflow, running ones included\\) at \\S+ \\(\\d+\\.\\d MB\\)`,
      ),
    );
    expect(out).toContain('results: new database in');
    expect(await whatSurvived()).toEqual({ runs: [], schedule: false });
    await down();
  });
});
