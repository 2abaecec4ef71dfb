// Game-day schedules against a real Temporal dev server (sandbox temporal): create, list,
// describe, pause/unpause, a trigger that runs a game day of the calibration drill to the end (its
// result recorded), overlap SKIP, fresh ids per execution, delete; and the refusals of bad input
// before anything is created. The CLI is exercised as an operator would run it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultsUrl } from '../../src/platform/local/components/results.ts';
import { ResultStore } from '../../src/results/store.ts';
import {
  createSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
} from '../../src/schedule/schedules.ts';
import { UserError } from '../../src/util/errors.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { GameDayOutcome } from '../../workflows/gameday.ts';
import { firedrill as cli } from './cli.ts';
import { useEngine } from './engine-harness.ts';

const engine = useEngine('e2e-schedule', ['calibration']);

/** `firedrill …` as a separate process, writing its reports where the engine's go. */
const firedrill = (...args: string[]) => cli(args, { FIREDRILL_REPORTS: engine.reportsDir });

const sandbox = () => ['--sandbox', engine.sandboxName];
const names = async () => (await listSchedules(engine.client())).map((s) => s.name);

/**
 * Every test below makes the schedule it acts on, so each passes alone (`-t`), in any order: none
 * relies on a schedule an earlier test created.
 */
async function scheduleNamed(name: string): Promise<string> {
  if (!(await names()).includes(name))
    await createSchedule(engine.client(), {
      name,
      cron: '30 3 * * *',
      drills: 'calibration',
      reportsRoot: engine.reportsDir,
      sandbox: engine.sandboxName,
    }).catch((err: Error) => {
      if (!/already exists/.test(err.message)) throw err;
    });
  return name;
}

async function recorded(runId: string) {
  const store = await ResultStore.connect(resultsUrl(engine.sandbox().component('results')));
  try {
    return await store.run(runId);
  } finally {
    await store.close();
  }
}

describe('schedules', () => {
  it('refuses bad input with one line, before anything is created', async () => {
    const base = {
      name: 'bad',
      cron: '0 3 * * *',
      drills: 'calibration',
      sandbox: engine.sandboxName,
      reportsRoot: engine.reportsDir,
    };
    for (const [change, why] of [
      [{ cron: '0 25 * * *' }, /^cannot parse cron "0 25 \* \* \*": 25 is outside 0-23 in the hour field/],
      [{ cron: 'every night' }, /^cannot parse cron "every night": it has 2 fields, not 5/],
      [{ timezone: 'Europe/Atlantis' }, /^unknown time zone "Europe\/Atlantis"/],
      [{ drills: 'calibration,postgres-meltdown' }, /^unknown drill "postgres-meltdown" in --drills/],
    ] as const) {
      const err = await createSchedule(engine.client(), { ...base, ...change }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(why);
    }
    // The CLI: exit code 2, one line on stderr, no stack.
    const cli = await firedrill(
      'schedule',
      'create',
      'bad',
      '--cron',
      '0 3 * *',
      '--timezone',
      'Mars/Base',
      ...sandbox(),
    );
    expect(cli.code).toBe(2);
    expect(cli.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^firedrill: cannot parse cron "0 3 \* \*": it has 4 fields, not 5; write 5 fields/,
      ),
    ]);
    const tz = await firedrill(
      'schedule',
      'create',
      'bad',
      '--cron',
      '@daily',
      '--timezone',
      'Mars/Base',
      ...sandbox(),
    );
    expect(tz.code).toBe(2);
    expect(tz.stderr.trim()).toMatch(/^firedrill: unknown time zone "Mars\/Base"; give an IANA zone name/);
    const drill = await firedrill(
      'schedule',
      'create',
      'bad',
      '--cron',
      '@daily',
      '--drills',
      'nope',
      ...sandbox(),
    );
    expect(drill.code).toBe(2);
    expect(drill.stderr.trim()).toMatch(/^firedrill: unknown drill "nope" in --drills; choose from: /);
    expect(await names()).not.toContain('bad');
    await expect(describeSchedule(engine.client(), 'bad')).rejects.toThrow(/^no schedule named "bad"/);
  });

  it('creates a schedule (CLI), lists and describes it', async () => {
    const created = await firedrill(
      'schedule',
      'create',
      'nightly',
      '--cron',
      '30 3 * * *',
      '--drills',
      'calibration',
      '--timezone',
      'Europe/Paris',
      ...sandbox(),
    );
    expect(created.stderr).not.toMatch(/firedrill:/);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/cron\s+30 3 \* \* \* \(Europe\/Paris\)/);
    expect(created.stdout).toMatch(/overlap SKIP, catch-up window 10m/);

    const d = await describeSchedule(engine.client(), 'nightly');
    expect(d).toMatchObject({
      name: 'nightly',
      cron: '30 3 * * *',
      timezone: 'Europe/Paris',
      drills: 'calibration',
      variants: 'default',
      sandbox: engine.sandboxName,
      paused: false,
      overlap: 'SKIP',
      catchupWindowMs: 600_000,
    });
    expect(d.raw.spec.timezone).toBe('Europe/Paris');
    expect(d.raw.action.workflowType).toBe('gameDayWorkflow');
    // The server computes the next runs: 03:30 in Paris, whatever UTC says.
    expect(d.nextRuns.length).toBeGreaterThan(0);
    const paris = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    for (const t of d.nextRuns) expect(paris.format(t)).toBe('03:30');

    // The visibility store is eventually consistent: the list shows it shortly.
    await waitFor('the schedule in the list', async () => (await names()).includes('nightly'), {
      timeoutMs: 15_000,
    });
    const listed = await firedrill('schedule', 'list', ...sandbox());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /^nightly\s+30 3 \* \* \*\s+Europe\/Paris\s+calibration\s+default\s+e2e-schedule\s+active/m,
    );

    const again = await createSchedule(engine.client(), {
      name: 'nightly',
      cron: '@daily',
      reportsRoot: engine.reportsDir,
      sandbox: engine.sandboxName,
    }).catch((e: unknown) => e);
    expect((again as Error).message).toMatch(/^schedule "nightly" already exists/);
  });

  it('pauses with a note and unpauses', async () => {
    const name = await scheduleNamed('freeze');
    await pauseSchedule(engine.client(), name, 'change freeze until Monday');
    expect(await describeSchedule(engine.client(), name)).toMatchObject({
      paused: true,
      note: 'change freeze until Monday',
    });
    const shown = await firedrill('schedule', 'describe', name, ...sandbox());
    expect(shown.stdout).toMatch(/state\s+PAUSED — change freeze until Monday/);
    const un = await firedrill('schedule', 'unpause', name, '--note', 'freeze over', ...sandbox());
    expect(un.code).toBe(0);
    expect(await describeSchedule(engine.client(), name)).toMatchObject({
      paused: false,
      note: 'freeze over',
    });
    await unpauseSchedule(engine.client(), name); // idempotent
  });

  it('a trigger runs a game day of the calibration drill to the end; a second one meanwhile is skipped; each execution has its own ids', async () => {
    const name = await scheduleNamed('trigger');
    const started = Date.now();
    const first = await triggerSchedule(engine.client(), name);
    expect(first.started).toBe(true);
    if (!first.started) return;
    expect(first.workflowId).toMatch(/^firedrill-gameday-local-e2e-schedule-trigger-/);

    // Overlap policy SKIP: never two game days of the schedule at once.
    const second = await triggerSchedule(engine.client(), name);
    expect(second).toMatchObject({ started: false, reason: expect.stringMatching(/overlap policy SKIP/) });

    const outcome = (await engine
      .client()
      .workflow.getHandle(first.workflowId, first.runId)
      .result()) as GameDayOutcome;
    const wall = (Date.now() - started) / 1000;
    expect(outcome.results).toHaveLength(1);
    const r = outcome.results[0]!;
    expect('result' in r && r.result.verdict).toBe('MET');
    if (!('result' in r)) return;
    expect(r.result.drill).toBe('calibration');
    expect((await recorded(r.result.runId))?.verdict).toBe('MET');
    expect(outcome.reportsDir).toBe(join(engine.reportsDir, outcome.gameDayId));
    expect(existsSync(join(outcome.reportsDir, r.result.runId, 'result.json'))).toBe(true);

    const d = await describeSchedule(engine.client(), name);
    expect(d.actionsTaken).toBe(1);
    expect(d.skippedOverlap).toBe(1);
    expect(d.recent.map((a) => a.workflowId)).toContain(first.workflowId);

    // The CLI trigger, followed to the end: a new game day with new ids.
    const cli = await firedrill('schedule', 'trigger', name, '--wait', ...sandbox());
    expect(cli.stderr).not.toMatch(/firedrill:/);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/game day started: workflow firedrill-gameday-local-e2e-schedule-trigger-/);
    const gameDayId = /# Game day (\S+)/.exec(cli.stdout)?.[1];
    expect(gameDayId).toMatch(/^gameday-/);
    expect(gameDayId).not.toBe(outcome.gameDayId);
    expect(cli.stdout).toMatch(/calibration\s+outage\s+MET/);
    console.log(
      `schedule: triggered game day ${outcome.gameDayId} finished in ${wall.toFixed(1)} s (MET), then ${gameDayId} from the CLI`,
    );
  });

  it('deletes the schedule', async () => {
    const name = await scheduleNamed('doomed');
    const del = await firedrill('schedule', 'delete', name, ...sandbox());
    expect(del.code).toBe(0);
    await expect(describeSchedule(engine.client(), name)).rejects.toThrow(/^no schedule named "doomed"/);
    await waitFor('the schedule to leave the list', async () => !(await names()).includes(name), {
      timeoutMs: 15_000,
    });
    const gone = await firedrill('schedule', 'delete', name, ...sandbox());
    expect(gone.code).toBe(2);
    expect(gone.stderr.trim()).toBe('firedrill: no schedule named "doomed"; see `firedrill schedule list`');
  });
});
