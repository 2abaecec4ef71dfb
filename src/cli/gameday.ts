// `firedrill gameday`: every drill in the catalogue (or --drills), one after another, through
// gameDayWorkflow; a live table while it runs; reports/<gameDayId>/ with each result and a summary.
// The planning (drills, variants, refusals, ids) and the standing backup are the library's
// (src/gameday/); this file is the command line around them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { gameDayWorkflow, type GameDayOutcome } from '../../workflows/gameday.ts';
import { TASK_QUEUE, gameDayProgressQuery, progressQuery, targetWorkflowId } from '../../workflows/names.ts';
import { standingBackup } from '../gameday/backup.ts';
import { planGameDay } from '../gameday/plan.ts';
import type { DrillResult } from '../measure/types.ts';
import { afterRun, writeGameDayReports } from './after-run.ts';
import { bootstrap } from './bootstrap.ts';
import { progressLine, verdictTable } from './progress.ts';
import { sandboxNameArg } from '../util/names.ts';

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
                .getHandle(targetWorkflowId(run.platform, run.target))
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
