// Game-day schedules (Temporal Schedules): each one starts gameDayWorkflow from a request — which
// drills, which variants, which sandbox — that the workflow plans afresh at every execution.
// Overlap policy SKIP (never two game days of a schedule at once, a manual trigger included) and a
// catch-up window (missed times older than it are dropped, e.g. after the server was down).
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleSummary,
} from '@temporalio/client';
import type { GameDayRequest } from '../../activities/gameday.ts';
import { gameDayWorkflow } from '../../workflows/gameday.ts';
import { TASK_QUEUE } from '../../workflows/names.ts';
import { loadCatalogue } from '../drill/catalogue.ts';
import { checkPlatformSupports } from '../drill/requirements.ts';
import { planRun } from '../drill/validate.ts';
import { formatDuration } from '../topology/duration.ts';
import { loadTopology } from '../topology/load.ts';
import { UserError } from '../util/errors.ts';
import { waitFor } from '../util/wait.ts';
import {
  DEFAULT_CATCHUP_WINDOW,
  SCHEDULE_PREFIX,
  checkCron,
  checkScheduleName,
  checkTimezone,
  checkVariants,
  parseCatchupWindow,
  scheduleId,
  scheduleName,
} from './spec.ts';
import { checkSandboxName } from '../util/names.ts';

export interface CreateScheduleRequest {
  name: string;
  cron: string;
  /** Comma-separated drill names; absent = the whole catalogue at each execution. */
  drills?: string;
  variants?: string;
  timezone?: string;
  sandbox?: string;
  catchupWindow?: string;
  /** Absolute folder for reports/<gameDayId>/ (the worker writes there). */
  reportsRoot: string;
  note?: string;
  paused?: boolean;
}

/** What firedrill keeps in the schedule's memo: the request as the operator wrote it. */
export interface ScheduleMemo {
  firedrill: 1;
  cron: string;
  timezone: string;
  drills: string;
  variants: string;
  sandbox: string;
}

export interface ValidSchedule {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  catchupWindowMs: number;
  request: GameDayRequest;
  memo: ScheduleMemo;
}

/** Every refusal happens here, before the server is asked for anything. */
export async function validateSchedule(req: CreateScheduleRequest): Promise<ValidSchedule> {
  const name = checkScheduleName(req.name);
  const cron = checkCron(req.cron);
  const timezone = checkTimezone(req.timezone ?? 'UTC');
  const variants = checkVariants(req.variants);
  const catchupWindowMs = parseCatchupWindow(req.catchupWindow ?? DEFAULT_CATCHUP_WINDOW);
  const catalogue = await loadCatalogue();
  const drills = req.drills
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (req.drills !== undefined && !drills?.length)
    throw new UserError('--drills is empty', `name at least one of: ${[...catalogue.keys()].join(', ')}`);
  const topology = loadTopology();
  for (const d of drills ?? [...catalogue.keys()]) {
    const drill = catalogue.get(d);
    if (!drill)
      throw new UserError(
        `unknown drill "${d}" in --drills`,
        `choose from: ${[...catalogue.keys()].join(', ')}`,
      );
    // The same refusals a game day makes, now rather than at 3 a.m.
    if (drills) await checkPlatformSupports(drill, { kind: 'local' }); // named: it must run there
    for (const variant of variants === 'all' ? Object.keys(drill.variants) : [drill.defaultVariant])
      planRun(drill, { drill: d, variant }, topology);
  }
  const sandbox = checkSandboxName(req.sandbox ?? 'default', '--sandbox');
  return {
    id: scheduleId(name),
    name,
    cron,
    timezone,
    catchupWindowMs,
    request: { drills, variants, sandbox, reportsRoot: req.reportsRoot, schedule: name },
    memo: { firedrill: 1, cron, timezone, drills: drills?.join(',') ?? '(all)', variants, sandbox },
  };
}

export async function createSchedule(client: Client, req: CreateScheduleRequest): Promise<ValidSchedule> {
  const s = await validateSchedule(req);
  try {
    await client.schedule.create({
      scheduleId: s.id,
      spec: { cronExpressions: [s.cron], timezone: s.timezone },
      action: {
        type: 'startWorkflow',
        workflowType: gameDayWorkflow,
        args: [{ request: s.request }],
        taskQueue: TASK_QUEUE,
        // Temporal appends the scheduled time: firedrill-gameday-local-<sandbox>-<name>-<time>.
        workflowId: `firedrill-gameday-local-${s.request.sandbox}-${s.name}`,
        memo: { schedule: s.name },
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: s.catchupWindowMs },
      memo: { ...s.memo },
      state: {
        paused: req.paused ?? false,
        note: req.note ?? `created by firedrill: game day ${s.memo.drills} (${s.memo.variants})`,
      },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning)
      throw new UserError(
        `schedule "${s.name}" already exists`,
        `delete it first (\`firedrill schedule delete ${s.name}\`) or choose another name`,
      );
    throw serverRefusal(err, s.name);
  }
  return s;
}

/** The server's own refusal (an invalid spec arrives as a TypeError from the SDK), as one line. */
function serverRefusal(err: unknown, name: string): unknown {
  if (err instanceof TypeError)
    return new UserError(`the Temporal server refused schedule "${name}": ${err.message.split('\n')[0]}`);
  return err;
}

async function withSchedule<T>(
  client: Client,
  name: string,
  fn: (h: ReturnType<Client['schedule']['getHandle']>) => Promise<T>,
): Promise<T> {
  checkScheduleName(name);
  try {
    return await fn(client.schedule.getHandle(scheduleId(name)));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      throw new UserError(`no schedule named "${name}"`, 'see `firedrill schedule list`');
    throw err;
  }
}

export interface ScheduleView {
  name: string;
  cron: string;
  timezone: string;
  drills: string;
  variants: string;
  sandbox: string;
  paused: boolean;
  note?: string;
  overlap?: string;
  catchupWindowMs?: number;
  nextRuns: Date[];
  recent: { scheduledAt: Date; takenAt: Date; workflowId: string; runId: string }[];
  running?: { workflowId: string; runId: string }[];
  actionsTaken?: number;
  skippedOverlap?: number;
  missedCatchupWindow?: number;
  createdAt?: Date;
}

function view(
  id: string,
  d: Pick<ScheduleSummary, 'memo' | 'state'> & { info: ScheduleSummary['info'] },
): ScheduleView {
  const memo = (d.memo ?? {}) as Partial<ScheduleMemo>;
  return {
    name: scheduleName(id),
    cron: memo.cron ?? '?',
    timezone: memo.timezone ?? 'UTC',
    drills: memo.drills ?? '?',
    variants: memo.variants ?? '?',
    sandbox: memo.sandbox ?? '?',
    paused: d.state.paused,
    note: d.state.note,
    nextRuns: d.info.nextActionTimes,
    recent: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt,
      takenAt: a.takenAt,
      workflowId: a.action.workflow.workflowId,
      runId: a.action.workflow.firstExecutionRunId,
    })),
  };
}

export async function describeSchedule(
  client: Client,
  name: string,
): Promise<ScheduleView & { raw: ScheduleDescription }> {
  return withSchedule(client, name, async (h) => {
    const d = await h.describe();
    return {
      ...view(d.scheduleId, d),
      overlap: d.policies.overlap,
      catchupWindowMs: d.policies.catchupWindow,
      running: d.info.runningActions.map((a) => ({
        workflowId: a.workflow.workflowId,
        runId: a.workflow.firstExecutionRunId,
      })),
      actionsTaken: d.info.numActionsTaken,
      skippedOverlap: d.info.numActionsSkippedOverlap,
      missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      createdAt: d.info.createdAt,
      raw: d,
    };
  });
}

/** firedrill's schedules (ids starting with firedrill-), from the server's visibility store. */
export async function listSchedules(client: Client): Promise<ScheduleView[]> {
  const out: ScheduleView[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
    out.push(view(s.scheduleId, s));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function pauseSchedule(client: Client, name: string, note?: string): Promise<void> {
  await withSchedule(client, name, (h) => h.pause(note ?? 'paused with firedrill schedule pause'));
}

export async function unpauseSchedule(client: Client, name: string, note?: string): Promise<void> {
  await withSchedule(client, name, (h) => h.unpause(note ?? 'unpaused with firedrill schedule unpause'));
}

export async function deleteSchedule(client: Client, name: string): Promise<void> {
  await withSchedule(client, name, (h) => h.delete());
}

export type TriggerOutcome =
  | { started: true; workflowId: string; runId: string }
  | { started: false; reason: string; running: { workflowId: string; runId: string }[] };

/**
 * Runs the schedule's game day now, under its overlap policy: when one of its game days is still
 * running, the trigger is skipped (and says which game day is in the way).
 */
export async function triggerSchedule(
  client: Client,
  name: string,
  opts: { timeoutMs?: number } = {},
): Promise<TriggerOutcome> {
  return withSchedule(client, name, async (h) => {
    const before = await h.describe();
    await h.trigger(ScheduleOverlapPolicy.SKIP); // the SDK's default for a trigger is ALLOW_ALL
    return waitFor(
      `schedule "${name}" to act on the trigger`,
      async (): Promise<TriggerOutcome | undefined> => {
        const d = await h.describe();
        if (d.info.numActionsTaken > before.info.numActionsTaken) {
          const last = [...d.info.recentActions]
            .sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime())
            .at(-1)!;
          return {
            started: true,
            workflowId: last.action.workflow.workflowId,
            runId: last.action.workflow.firstExecutionRunId,
          };
        }
        if (d.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap) {
          const running = d.info.runningActions.map((a) => ({
            workflowId: a.workflow.workflowId,
            runId: a.workflow.firstExecutionRunId,
          }));
          return {
            started: false,
            reason: 'a game day of this schedule is still running (overlap policy SKIP)',
            running,
          };
        }
        return undefined;
      },
      { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 200 },
    );
  });
}

/** One line per schedule for `list`. */
export function scheduleTable(views: ScheduleView[]): string {
  const when = (d?: Date) => (d ? d.toISOString().replace('.000Z', 'Z') : '—');
  const rows = [
    ['name', 'cron', 'timezone', 'drills', 'variants', 'sandbox', 'state', 'next run', 'last run'],
  ];
  for (const v of views) {
    const last = [...v.recent].sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime()).at(-1);
    rows.push([
      v.name,
      v.cron,
      v.timezone,
      v.drills,
      v.variants,
      v.sandbox,
      v.paused ? 'paused' : 'active',
      when(v.nextRuns[0]),
      when(last?.takenAt),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function describeText(v: ScheduleView): string {
  const lines = [
    `schedule   ${v.name} (${scheduleId(v.name)})`,
    `cron       ${v.cron} (${v.timezone})`,
    `game day   drills ${v.drills}, variants ${v.variants}, sandbox ${v.sandbox}`,
    `state      ${v.paused ? 'PAUSED' : 'active'}${v.note ? ` — ${v.note}` : ''}`,
    `policies   overlap ${v.overlap ?? '?'}, catch-up window ${v.catchupWindowMs !== undefined ? formatDuration(v.catchupWindowMs) : '?'}`,
    `actions    ${v.actionsTaken ?? 0} taken, ${v.skippedOverlap ?? 0} skipped (overlap), ${v.missedCatchupWindow ?? 0} missed (catch-up window)`,
    `next runs  ${
      v.nextRuns.length
        ? v.nextRuns
            .slice(0, 5)
            .map((d) => d.toISOString())
            .join(', ')
        : 'none (paused, or the cron never matches)'
    }`,
  ];
  for (const r of v.running ?? []) lines.push(`running    ${r.workflowId}`);
  for (const r of v.recent) lines.push(`recent     ${r.takenAt.toISOString()} ${r.workflowId}`);
  return lines.join('\n');
}
