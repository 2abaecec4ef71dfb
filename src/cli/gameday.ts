// `firedrill gameday`: every drill in the catalogue (or --drills), one after another, through
// gameDayWorkflow; a live table while it runs; reports/<gameDayId>/ with each result and a summary.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { gameDayWorkflow, type GameDayInput, type GameDayOutcome } from '../../workflows/gameday.ts';
import { TASK_QUEUE, gameDayProgressQuery, progressQuery, targetWorkflowId } from '../../workflows/names.ts';
import { loadCatalogue } from '../drill/catalogue.ts';
import type { DrillDefinition } from '../drill/definition.ts';
import { unmetRequirements } from '../drill/requirements.ts';
import { planRun } from '../drill/validate.ts';
import type { DrillResult } from '../measure/types.ts';
import { actionsOf } from '../platform/call-action.ts';
import { LocalPlatform } from '../platform/local/platform.ts';
import type { PlatformRef } from '../platform/platform.ts';
import type { TimescaledbActions } from '../systems/timescaledb/actions.ts';
import { loadTopology } from '../topology/load.ts';
import { UserError } from '../util/errors.ts';
import { afterRun, writeGameDayReports } from './after-run.ts';
import { bootstrap } from './bootstrap.ts';
import { progressLine, verdictTable } from './progress.ts';
import { newRunId, reportsDir } from './run.ts';
import { checkSandboxName, insideRoot, sandboxNameArg } from '../util/names.ts';

export interface GameDayPlan {
  input: GameDayInput;
  needs: string[];
}

/** The catalogue's drills the platform can carry out (the others are skipped, not failed). */
async function runnableOn(kind: string, catalogue: Map<string, DrillDefinition>): Promise<string[]> {
  const out: string[] = [];
  for (const [name, drill] of catalogue) if (!(await unmetRequirements(drill, kind)).length) out.push(name);
  return out;
}

export async function planGameDay(opts: {
  drills?: string;
  variants?: string;
  sandbox: string;
}): Promise<GameDayPlan> {
  const catalogue = await loadCatalogue();
  const names = opts.drills
    ? opts.drills
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : await runnableOn('local', catalogue);
  for (const n of names) {
    if (!catalogue.has(n))
      throw new UserError(
        `unknown drill "${n}" in --drills`,
        `choose from: ${[...catalogue.keys()].join(', ')}`,
      );
  }
  if (opts.variants && !['all', 'default'].includes(opts.variants))
    throw new UserError(`--variants "${opts.variants}" is not all or default`);
  const gameDayId = `gameday-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(2).toString('hex')}`;
  const platform: PlatformRef = { kind: 'local', sandbox: checkSandboxName(opts.sandbox, '--sandbox') };
  const dir = insideRoot(reportsDir(), gameDayId);
  const runs: GameDayInput['runs'] = [];
  const needs = new Set<string>();
  for (const name of names) {
    const drill = catalogue.get(name)!;
    const variants = opts.variants === 'all' ? Object.keys(drill.variants) : [drill.defaultVariant];
    for (const variant of variants) {
      const plan = planRun(drill, { drill: name, variant }, loadTopology()); // refusals before anything starts
      plan.needs.forEach((n) => needs.add(n));
      runs.push({
        runId: newRunId(name, variant),
        drill: name,
        variant,
        platform,
        reportsDir: dir,
        component: plan.component,
      });
    }
  }
  return { input: { gameDayId, reportsDir: dir, runs }, needs: [...needs] };
}

export function summaryMarkdown(outcome: GameDayOutcome): string {
  const results = outcome.results
    .filter((r): r is { result: DrillResult } => 'result' in r)
    .map((r) => r.result);
  const errors = outcome.results.filter((r) => 'error' in r) as {
    drill: string;
    variant?: string;
    error: string;
  }[];
  const lines = [
    `# Game day ${outcome.gameDayId}`,
    '',
    `${new Date(outcome.startedAt).toISOString()} → ${new Date(outcome.finishedAt).toISOString()} (${((outcome.finishedAt - outcome.startedAt) / 1000).toFixed(1)} s)`,
    '',
    '```',
    verdictTable(results),
    '```',
    ...errors.map((e) => `- **${e.drill}/${e.variant ?? ''}** did not run: ${e.error}`),
    '',
  ];
  return lines.join('\n');
}

/**
 * SLO-Scout keeps pgBackRest backups on a schedule (a nightly full, hourly incrementals), so a
 * restore drill always has one to restore from. A brand-new sandbox has had no night yet: the game
 * day takes the full backup the schedule would have taken, and says so, instead of refusing the
 * restore drill on every fresh machine. `firedrill run timescaledb-restore` still refuses.
 */
async function standingBackup(sandbox: string, drills: string[]): Promise<void> {
  if (!drills.includes('timescaledb-restore')) return;
  const platform = new LocalPlatform(sandbox);
  const action = actionsOf<TimescaledbActions>(platform, 'timescaledb');
  const inventory = await action('backups');
  if (inventory.backups.length) return;
  const started = Date.now();
  console.error('game day: no pgBackRest backup on this sandbox yet; taking the nightly full backup first');
  await action('backup', { type: 'full' });
  console.error(`game day: full backup taken in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export function gamedayCommand(program: Command): void {
  program
    .command('gameday')
    .description('run every drill (or --drills) one after another and write a game-day report')
    .option('--drills <names>', 'comma-separated drill names (default: the whole catalogue)')
    .option('--variants <which>', 'default or all', 'default')
    .option('--sandbox <name>', 'local sandbox to run on', sandboxNameArg('--sandbox'), 'default')
    .option('--down', 'stop the sandbox when the game day is over (its results history is kept)')
    .action(async (opts: { drills?: string; variants?: string; sandbox: string; down?: boolean }) => {
      const { input, needs } = await planGameDay(opts);
      console.error(
        `game day ${input.gameDayId}: ${input.runs.map((r) => `${r.drill}/${r.variant}`).join(', ')}`,
      );
      const env = await bootstrap({ sandbox: opts.sandbox, needs });
      try {
        await standingBackup(
          opts.sandbox,
          input.runs.map((r) => r.drill),
        );
        const handle = await env.client.workflow.start(gameDayWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: `firedrill-gameday-local-${opts.sandbox}`, // never two game days at once
          args: [input],
        });
        const finished = handle.result();
        let done = false;
        finished.finally(() => (done = true)).catch(() => {});
        let lastKey = '';
        while (!done) {
          try {
            const gd = await handle.query(gameDayProgressQuery);
            const run = input.runs[gd.current];
            let line = `[${Math.min(gd.current + 1, gd.total)}/${gd.total}]`;
            let key = String(gd.current);
            if (run) {
              const p = await env.client.workflow
                .getHandle(targetWorkflowId(run.platform, run.component))
                .query(progressQuery)
                .catch(() => undefined);
              const mine = p && p.runId === run.runId ? p : undefined;
              line += ` ${mine ? progressLine(mine) : `${run.drill}/${run.variant} starting`}`;
              key += `:${mine?.phase ?? 'starting'}`;
            }
            // A terminal gets a live line; a log gets one line per phase.
            if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
            else if (key !== lastKey) console.error(line);
            lastKey = key;
          } catch {
            /* between children */
          }
          await Promise.race([finished.catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
        }
        if (process.stderr.isTTY) process.stderr.write('\n');
        const outcome = await finished;
        const md = summaryMarkdown(outcome);
        writeFileSync(join(input.reportsDir, 'summary.md'), md);
        console.log(md);
        const reports = writeGameDayReports(outcome);
        console.log(
          `reports: ${input.reportsDir}/ (report.html, .md, .json, .junit.xml; summary.md, summary.json; one folder per run)`,
        );
        console.log(`report: ${reports[0]}`);
        const verdicts = outcome.results.map((r) => ('result' in r ? r.result.verdict : 'ERROR'));
        if (verdicts.some((v) => v !== 'MET')) process.exitCode = 1;
      } finally {
        await env.close();
        await afterRun(opts.sandbox, opts.down);
      }
    });
}
