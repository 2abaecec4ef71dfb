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
import { LiveConsole } from './live-console.ts';
import { parseRepeat, repeatRuns, repeatSummary, variantStats } from './repeat.ts';
import { runLogDestination, WORKER_LOG } from './run-log.ts';
import { newRunId } from '../util/runs.ts';
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
  // Repeats (or a drill run twice by --variants all … ): each drill's spread, and a flag where its
  // runs fall on both sides of the target.
  if (variantStats(results).some((g) => g.runs > 1)) lines.push('```', repeatSummary(results), '```', '');
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

interface GameDayOptions {
  drills?: string;
  variants?: string;
  sandbox: string;
  down?: boolean;
  repeat?: number;
  verbose?: boolean;
}

/** drill/variant, with #k when a drill+variant runs more than once. */
export function runLabels(runs: readonly { drill: string; variant?: string }[]): string[] {
  const name = (r: { drill: string; variant?: string }) => `${r.drill}/${r.variant ?? ''}`;
  const total = new Map<string, number>();
  for (const r of runs) total.set(name(r), (total.get(name(r)) ?? 0) + 1);
  const seen = new Map<string, number>();
  return runs.map((r) => {
    const k = (seen.get(name(r)) ?? 0) + 1;
    seen.set(name(r), k);
    return total.get(name(r))! > 1 ? `${name(r)} #${k}` : name(r);
  });
}

export function gamedayCommand(program: Command): void {
  program
    .command('gameday')
    .description('run every drill (or --drills) one after another and write a game-day report')
    .option('--drills <names>', 'comma-separated drill names (default: the whole catalogue)')
    .option('--variants <which>', 'default or all', 'default')
    .option('--sandbox <name>', 'local sandbox to run on', sandboxNameArg('--sandbox'), 'default')
    .option('--down', 'stop the sandbox when the game day is over (its results history is kept)')
    .option('--repeat <n>', 'run each drill n times in a row, with min / median / p95 / max', parseRepeat)
    .option(
      '--verbose',
      "also show the worker's logs on stderr (human format); they are always in reports/<gameDayId>/<runId>/worker.log",
    )
    .action(async (opts: GameDayOptions) => {
      const planned = await planGameDay(opts);
      const { needs } = planned;
      const input: GameDayInput = {
        ...planned.input,
        runs: repeatRuns(planned.input.runs, opts.repeat ?? 1, newRunId),
      };
      console.error(
        `game day ${input.gameDayId}: ${input.runs.map((r) => `${r.drill}/${r.variant}`).join(', ')}`,
      );
      const logs = runLogDestination({
        runsDir: input.reportsDir,
        fallback: join(input.reportsDir, WORKER_LOG),
        verbose: opts.verbose,
      });
      const env = await bootstrap({ sandbox: opts.sandbox, needs, log: logs });
      let html: string | undefined;
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
        const live = new LiveConsole({
          title: `game day ${input.gameDayId}`,
          labels: runLabels(input.runs),
          logs: join(input.reportsDir, '<runId>', WORKER_LOG),
        });
        try {
          await followGameDay(env.client, handle, input.runs, live);
          outcome = await handle.result();
          outcome.results.forEach((r, i) => live.finish(i, 'result' in r ? r.result.verdict : 'did not run'));
        } finally {
          live.stop();
          interrupt.dispose();
          await interrupt.idle(); // before env.close(): a second Ctrl-C's query may still run
        }
        const md = summaryMarkdown(outcome);
        writeFileSync(join(input.reportsDir, 'summary.md'), md);
        console.log(md);
        const reports = writeGameDayReports(outcome);
        console.log(
          `reports: ${input.reportsDir}/ (report.html, .md, .json, .junit.xml; summary.md, summary.json; a folder per run with its worker.log)`,
        );
        html = reports[0];
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
      // Last: the one thing to open.
      if (html) console.log(`report: ${html}`);
    });
}
