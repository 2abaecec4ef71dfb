// `firedrill schedule create|list|describe|pause|unpause|trigger|delete`: game-day schedules on the
// sandbox's Temporal server. Thin: the logic is in src/schedule/.
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { Command } from 'commander';
import { gameDayProgressQuery, TASK_QUEUE } from '../../workflows/names.ts';
import type { GameDayOutcome } from '../../workflows/gameday.ts';
import { Sandbox } from '../platform/local/sandbox.ts';
import {
  createSchedule,
  deleteSchedule,
  describeSchedule,
  describeText,
  listSchedules,
  pauseSchedule,
  scheduleTable,
  triggerSchedule,
  unpauseSchedule,
  validateSchedule,
} from '../schedule/schedules.ts';
import { DEFAULT_CATCHUP_WINDOW } from '../schedule/spec.ts';
import { UserError } from '../util/errors.ts';
import { summaryMarkdown } from './gameday.ts';
import { reportsDir } from '../util/runs.ts';
import { sandboxNameArg } from '../util/names.ts';

/** The Temporal server that holds the schedules: TEMPORAL_ADDRESS, or the sandbox's own. */
export async function connectTemporal(
  sandbox: string,
): Promise<{ client: Client; address: string; close(): Promise<void> }> {
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    const s = Sandbox.open({ name: sandbox });
    address = s.endpoints().temporal?.address;
    if (!address)
      throw new UserError(
        `sandbox "${sandbox}" runs no Temporal server`,
        `run \`firedrill sandbox up --only results,temporal\` (or set TEMPORAL_ADDRESS)`,
      );
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5_000 });
  } catch (err) {
    throw new UserError(
      `the Temporal server at ${address} is unreachable (${(err as Error).message})`,
      `check \`firedrill sandbox status --sandbox ${sandbox}\``,
    );
  }
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  return { client, address, close: () => connection.close() };
}

/** True when some worker polls the firedrill task queue (a schedule with no worker never runs). */
export async function workerPolling(client: Client): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: TASK_QUEUE },
    taskQueueType: 1 as temporal.api.enums.v1.TaskQueueType, // TASK_QUEUE_TYPE_WORKFLOW
  });
  return (res.pollers ?? []).length > 0;
}

interface Common {
  sandbox: string;
  json?: boolean;
}

async function withClient<T>(opts: Common, fn: (client: Client) => Promise<T>): Promise<T> {
  const t = await connectTemporal(opts.sandbox);
  try {
    return await fn(t.client);
  } finally {
    await t.close();
  }
}

const json = (v: unknown) => console.log(JSON.stringify(v, null, 2));

export function scheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('game days on a schedule (Temporal Schedules; overlap policy SKIP)');
  const sandboxOpt = [
    '--sandbox <name>',
    'local sandbox whose Temporal server holds the schedule (and where the drills run)',
    sandboxNameArg('--sandbox'),
    'default',
  ] as const;

  schedule
    .command('create <name>')
    .description('run a game day on a cron schedule')
    .requiredOption('--cron <expr>', 'when: 5-field cron ("0 3 * * MON"), @daily/@weekly/…, or "@every 6h"')
    .option('--drills <names>', 'comma-separated drills (default: the whole catalogue at each run)')
    .option('--variants <which>', 'default or all', 'default')
    .option('--timezone <zone>', 'IANA time zone the cron is read in', 'UTC')
    .option(
      '--catchup-window <duration>',
      'run a time missed while the server was down if it is at most this late',
      DEFAULT_CATCHUP_WINDOW,
    )
    .option('--paused', 'create it paused')
    .option('--note <text>', 'a note kept with the schedule')
    .option(...sandboxOpt)
    .option('--json', 'print the schedule as JSON')
    .action(
      async (
        name: string,
        opts: Common & {
          cron: string;
          drills?: string;
          variants: string;
          timezone: string;
          catchupWindow: string;
          paused?: boolean;
          note?: string;
        },
      ) => {
        const req = {
          name,
          cron: opts.cron,
          drills: opts.drills,
          variants: opts.variants,
          timezone: opts.timezone,
          sandbox: opts.sandbox,
          catchupWindow: opts.catchupWindow,
          reportsRoot: reportsDir(),
          note: opts.note,
          paused: opts.paused,
        };
        await validateSchedule(req); // every refusal (cron, zone, drills) before any server is asked
        await withClient(opts, async (client) => {
          const s = await createSchedule(client, req);
          const v = await describeSchedule(client, s.name);
          if (opts.json) json({ ...v, raw: undefined });
          else console.log(describeText(v));
          if (!(await workerPolling(client).catch(() => true))) {
            console.error(
              `note: no worker polls task queue "${TASK_QUEUE}" yet; the game days start when one does (\`FIREDRILL_SANDBOX=${opts.sandbox} npm run worker\`)`,
            );
          }
        });
      },
    );

  schedule
    .command('list')
    .description("firedrill's schedules, with their next and last runs")
    .option(...sandboxOpt)
    .option('--json', 'JSON')
    .action(async (opts: Common) => {
      await withClient(opts, async (client) => {
        const views = await listSchedules(client);
        if (opts.json) json(views);
        else
          console.log(
            views.length
              ? scheduleTable(views)
              : 'no schedules (create one with `firedrill schedule create <name> --cron "…"`)',
          );
      });
    });

  schedule
    .command('describe <name>')
    .description('a schedule in full: spec, policies, state, next and recent runs')
    .option(...sandboxOpt)
    .option('--json', 'JSON')
    .action(async (name: string, opts: Common) => {
      await withClient(opts, async (client) => {
        const v = await describeSchedule(client, name);
        if (opts.json) json({ ...v, raw: undefined });
        else console.log(describeText(v));
      });
    });

  schedule
    .command('pause <name>')
    .description('stop starting game days (a running one goes on)')
    .option('--note <text>', 'why (kept with the schedule)')
    .option(...sandboxOpt)
    .action(async (name: string, opts: Common & { note?: string }) => {
      await withClient(opts, (client) => pauseSchedule(client, name, opts.note));
      console.log(`schedule ${name} paused`);
    });

  schedule
    .command('unpause <name>')
    .description('start game days again')
    .option('--note <text>', 'why (kept with the schedule)')
    .option(...sandboxOpt)
    .action(async (name: string, opts: Common & { note?: string }) => {
      await withClient(opts, (client) => unpauseSchedule(client, name, opts.note));
      console.log(`schedule ${name} unpaused`);
    });

  schedule
    .command('trigger <name>')
    .description("run the schedule's game day now (skipped if one of its game days is running)")
    .option('--wait', 'follow the game day to its end and print the summary')
    .option(...sandboxOpt)
    .action(async (name: string, opts: Common & { wait?: boolean }) => {
      await withClient(opts, async (client) => {
        const t = await triggerSchedule(client, name);
        if (!t.started) {
          console.error(
            `skipped: ${t.reason}${t.running.length ? ` (${t.running.map((r) => r.workflowId).join(', ')})` : ''}`,
          );
          process.exitCode = 1;
          return;
        }
        console.log(`game day started: workflow ${t.workflowId}`);
        if (!opts.wait) return;
        const handle = client.workflow.getHandle(t.workflowId, t.runId);
        const finished = handle.result() as Promise<GameDayOutcome>;
        let done = false;
        finished.finally(() => (done = true)).catch(() => {});
        let last = '';
        while (!done) {
          const p = await handle.query(gameDayProgressQuery).catch(() => undefined);
          const line =
            p && p.total
              ? `[${Math.min(p.current + 1, p.total)}/${p.total}] ${p.results.map((r) => `${r.drill}/${r.variant ?? ''} ${r.verdict ?? r.error ?? ''}`).join(', ')}`
              : 'planning';
          if (line !== last) console.error(`  ${line}`);
          last = line;
          await Promise.race([finished.catch(() => {}), new Promise((r) => setTimeout(r, 1_000))]);
        }
        const outcome = await finished;
        console.log(summaryMarkdown(outcome));
        if (outcome.results.some((r) => !('result' in r) || r.result.verdict !== 'MET')) process.exitCode = 1;
      });
    });

  schedule
    .command('delete <name>')
    .description('delete the schedule (game days it started are kept)')
    .option(...sandboxOpt)
    .action(async (name: string, opts: Common) => {
      await withClient(opts, (client) => deleteSchedule(client, name));
      console.log(`schedule ${name} deleted`);
    });
}
