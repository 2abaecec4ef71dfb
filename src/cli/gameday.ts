// `firedrill gameday`: every drill in the catalogue (or --drills), one after another, through
// gameDayWorkflow; a live table while it runs; reports/<gameDayId>/ with each result and a summary.
// The planning (drills, variants, refusals, ids) and the standing backup are the library's
// (src/gameday/); this file is the command line around them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { gameDayWorkflow, type GameDayOutcome } from '../../workflows/gameday.ts';
import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  TASK_QUEUE,
  gameDayProgressQuery,
  progressQuery,
  stopGameDaySignal,
  targetWorkflowId,
} from '../../workflows/names.ts';
import { standingBackup } from '../gameday/backup.ts';
import { planGameDay, type GameDayInput } from '../gameday/plan.ts';
import type { DrillResult } from '../measure/types.ts';
import { afterRun, writeGameDayReports } from './after-run.ts';
import { bootstrap } from './bootstrap.ts';
import { leftInPlaceText, onInterrupt } from './interrupt.ts';
import { followGameDay, verdictTable } from './progress.ts';
import { exitCodeOf, faultLeftLines } from './verdict-exit.ts';
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

/** The second Ctrl-C: what the game day's running drill leaves in place. */
async function gameDayLeftInPlace(
  client: Client,
  handle: WorkflowHandle,
  input: GameDayInput,
  sandbox: string,
): Promise<string> {
  const gd = await handle.query(gameDayProgressQuery).catch(() => undefined);
  const run = gd ? input.runs[gd.current] : undefined;
  if (!run) return `game day ${input.gameDayId}: no drill is running.`;
  const workflowId = targetWorkflowId(run.platform, run.target);
  const p = await client.workflow
    .getHandle(workflowId)
    .query(progressQuery)
    .catch(() => undefined);
  const mine = p?.runId === run.runId ? p : undefined;
  return `game day ${input.gameDayId} (no further drill starts): ${leftInPlaceText(mine, { ...run, workflowId, sandbox })}`;
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
        // Ctrl-C stops the game day: the running drill is aborted and reverted, no other starts.
        const interrupt = onInterrupt({
          what: `game day ${input.gameDayId} (its running drill; no further drill starts)`,
          abort: (reason) => handle.signal(stopGameDaySignal, reason),
          leftInPlace: () => gameDayLeftInPlace(env.client, handle, input, opts.sandbox),
        });
        let outcome: GameDayOutcome;
        try {
          await followGameDay(env.client, handle, input.runs);
          outcome = await handle.result();
        } finally {
          interrupt.dispose();
        }
        const md = summaryMarkdown(outcome);
        writeFileSync(join(input.reportsDir, 'summary.md'), md);
        console.log(md);
        const reports = writeGameDayReports(outcome);
        console.log(
          `reports: ${input.reportsDir}/ (report.html, .md, .json, .junit.xml; summary.md, summary.json; one folder per run)`,
        );
        console.log(`report: ${reports[0]}`);
        const results = outcome.results.flatMap((r) => ('result' in r ? [r.result] : []));
        for (const line of faultLeftLines(results)) console.error(line);
        // 3 when a fault is left in place; 1 when any drill did not meet (or did not run), or Ctrl-C.
        const code = exitCodeOf(results);
        const allRan = results.length === outcome.results.length;
        process.exitCode = code === 3 ? 3 : code === 0 && allRan && !interrupt.interrupted ? 0 : 1;
      } finally {
        await env.close();
        await afterRun(opts.sandbox, opts.down);
      }
    });
}
