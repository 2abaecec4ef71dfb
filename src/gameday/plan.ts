// Game-day planning: which drills and variants a game day runs, refused before anything starts, with
// fresh game-day and run ids. `firedrill gameday` plans with it, and so does a scheduled game day's
// planning activity (activities/gameday.ts) at each execution.
import { randomBytes } from 'node:crypto';
import type { DrillInput } from '../../activities/types.ts';
import { loadCatalogue } from '../drill/catalogue.ts';
import type { DrillDefinition } from '../drill/definition.ts';
import { unmetRequirements } from '../drill/requirements.ts';
import { planRun } from '../drill/validate.ts';
import type { PlatformRef } from '../platform/platform.ts';
import { loadTopology } from '../topology/load.ts';
import { UserError } from '../util/errors.ts';
import { checkSandboxName, insideRoot } from '../util/names.ts';
import { newRunId, reportsDir } from '../util/runs.ts';

/** What gameDayWorkflow runs: the drills one after another, each on its target's workflow id. */
export interface GameDayInput {
  gameDayId: string;
  reportsDir: string;
  runs: (DrillInput & { target: string })[];
}

export interface GameDayPlan {
  input: GameDayInput;
  needs: string[];
}

/** The catalogue's drills the platform can carry out (the others are skipped, not failed). */
export async function runnableOn(kind: string, catalogue: Map<string, DrillDefinition>): Promise<string[]> {
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
        target: plan.target,
      });
    }
  }
  return { input: { gameDayId, reportsDir: dir, runs }, needs: [...needs] };
}
