// The game-day planning activity: a scheduled game day is stored as a request (which drills, which
// variants, which sandbox); at each execution this plans it exactly as `firedrill gameday` does
// (planGameDay of src/gameday/plan.ts: catalogue, refusals, fresh game-day and run ids) and brings
// up what it needs, with the standing backup a restore drill needs on a fresh sandbox.
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type pino from 'pino';
import { standingBackup } from '../src/gameday/backup.ts';
import { planGameDay, type GameDayInput } from '../src/gameday/plan.ts';
import { Sandbox } from '../src/platform/local/sandbox.ts';
import type { ComponentName } from '../src/platform/local/types.ts';
import { heldTargets } from '../src/results/held.ts';
import { resultsDatabaseUrl } from '../src/results/locate.ts';
import { UserError } from '../src/util/errors.ts';

export interface GameDayRequest {
  /** Drill names; absent = the whole catalogue as it is when the game day starts. */
  drills?: string[];
  variants: 'default' | 'all';
  /** Local sandbox the drills run on. */
  sandbox: string;
  /** Absolute folder under which reports/<gameDayId>/ is written. */
  reportsRoot: string;
  /** The schedule that asked for it (for the logs). */
  schedule?: string;
}

export interface GameDayActivities {
  planGameDay(request: GameDayRequest): Promise<GameDayInput>;
}

export function createGameDayActivities(deps: {
  log: pino.Logger;
  ensureSandbox?: boolean;
}): GameDayActivities {
  return {
    async planGameDay(request) {
      const ctx = Context.current();
      const log = deps.log.child({
        workflowId: ctx.info.workflowExecution?.workflowId,
        schedule: request.schedule,
      });
      const heartbeat = setInterval(() => ctx.heartbeat(), 5_000);
      try {
        const { input, needs } = await planGameDay({
          drills: request.drills?.join(','),
          variants: request.variants,
          sandbox: request.sandbox,
        });
        const reportsDir = join(request.reportsRoot, input.gameDayId);
        const planned: GameDayInput = {
          ...input,
          reportsDir,
          runs: input.runs.map((r) => ({ ...r, reportsDir })),
        };
        if (deps.ensureSandbox !== false) {
          const only = ['results', ...needs] as ComponentName[];
          // A component a drill holds is left as it is: a member down there may be its fault.
          const held = heldTargets(request.sandbox, () => resultsDatabaseUrl(request.sandbox));
          await Sandbox.ensure({
            name: request.sandbox,
            only,
            log: (m) => log.info({ sandbox: request.sandbox }, m),
            heldBy: held.heldBy,
          }).finally(() => held.close());
          // As `firedrill gameday` does: a fresh sandbox has had no nightly backup yet.
          await standingBackup(
            request.sandbox,
            planned.runs.map((r) => r.drill),
            (line) => log.info({ sandbox: request.sandbox }, line),
          );
        }
        log.info(
          { gameDayId: planned.gameDayId, runs: planned.runs.map((r) => r.runId) },
          'game day planned',
        );
        return planned;
      } catch (err) {
        if (err instanceof UserError)
          throw ApplicationFailure.create({ message: err.message, type: 'UserError', nonRetryable: true });
        throw err;
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}
