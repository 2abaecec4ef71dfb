// gameDayWorkflow: runs drills one after another as child workflows, continues past a breach or
// an error, and returns every result. Each child keeps the per-target workflow id, so a game day
// never runs a drill on a target that is already being drilled.
// A scheduled game day starts from a request (drills, variants, sandbox) instead of a plan: the
// plan, with its fresh game-day and run ids, comes from a planning activity at run time, so every
// scheduled execution gets its own ids and picks up drills added since the schedule was created
// (the activity's result is in the history: replay stays deterministic).
import {
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { GameDayActivities, GameDayRequest } from '../activities/gameday.ts';
import type { DrillActivities } from '../activities/types.ts';
import type { GameDayInput } from '../src/gameday/plan.ts';
import type { DrillResult } from '../src/measure/types.ts';
import { drillWorkflow } from './drill.ts';
import {
  abortSignal,
  gameDayProgressQuery,
  stopGameDaySignal,
  targetWorkflowId,
  type GameDayProgress,
} from './names.ts';

export interface GameDayOutcome {
  gameDayId: string;
  reportsDir: string;
  startedAt: number;
  finishedAt: number;
  results: ({ result: DrillResult } | { runId: string; drill: string; variant?: string; error: string })[];
}

const acts = proxyActivities<DrillActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});
// Planning may bring up sandbox components the drills need: minutes, heartbeating.
const planning = proxyActivities<GameDayActivities>({
  startToCloseTimeout: '20 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['UserError'] },
});

export async function gameDayWorkflow(
  request: GameDayInput | { request: GameDayRequest },
): Promise<GameDayOutcome> {
  const startedAt = Date.now();
  const progress: GameDayProgress = { gameDayId: '', total: 0, current: 0, results: [] };
  setHandler(gameDayProgressQuery, () => progress);
  // A stop aborts the drill that runs (its compensation reverts the fault and records ABORTED)
  // and starts no further drill; the game day still writes its summary.
  let running: ChildWorkflowHandle<typeof drillWorkflow> | undefined;
  const abortRunning = () => running?.signal(abortSignal, progress.stopped).catch(() => undefined);
  setHandler(stopGameDaySignal, (reason) => {
    if (progress.stopped) return;
    progress.stopped = reason || 'stopped by the operator';
    void abortRunning();
  });
  const input = 'request' in request ? await planning.planGameDay(request.request) : request;
  progress.gameDayId = input.gameDayId;
  progress.total = input.runs.length;
  const results: GameDayOutcome['results'] = [];
  for (const [i, run] of input.runs.entries()) {
    progress.current = i;
    const { target, ...drillInput } = run;
    if (progress.stopped) {
      const error = `not started: the game day was stopped (${progress.stopped})`;
      results.push({ runId: run.runId, drill: run.drill, variant: run.variant, error });
      progress.results.push({ runId: run.runId, drill: run.drill, variant: run.variant, error });
      continue;
    }
    try {
      running = await startChild(drillWorkflow, {
        workflowId: targetWorkflowId(run.platform, target),
        args: [drillInput],
        memo: {
          runId: run.runId,
          drill: run.drill,
          gameDayId: input.gameDayId,
          parent: workflowInfo().workflowId,
        },
      });
      if (progress.stopped) await abortRunning(); // the stop came while the drill was starting
      const result = await running.result();
      results.push({ result });
      progress.results.push({
        runId: run.runId,
        drill: run.drill,
        variant: result.variant,
        verdict: result.verdict,
      });
    } catch (err) {
      const error =
        err instanceof Error
          ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`
          : String(err);
      results.push({ runId: run.runId, drill: run.drill, variant: run.variant, error });
      progress.results.push({ runId: run.runId, drill: run.drill, variant: run.variant, error });
    } finally {
      running = undefined;
    }
  }
  progress.current = input.runs.length;
  const outcome = {
    gameDayId: input.gameDayId,
    reportsDir: input.reportsDir,
    startedAt,
    finishedAt: Date.now(),
    results,
  };
  await acts.writeGameDaySummary(outcome);
  return outcome;
}
