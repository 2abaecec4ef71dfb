// The fault confirmed on the system itself (measurement spec, "Verdicts", revised 2026-12-01): after
// the injection the engine asks the drill what it sees until it can say, or the time is up. The
// answer is a marker on the timeline; without it the run is INCONCLUSIVE, never MET.
import type { DrillDefinition, DrillEnv, Fault } from '../drill/definition.ts';
import { FAULT_CONFIRMED, FAULT_UNCONFIRMED } from '../measure/types.ts';
import { sleep } from '../util/wait.ts';
import type { RunFiles } from './run-files.ts';

export const DEFAULT_CONFIRM_WITHIN_MS = 15_000;

export async function confirmFault<S>(
  drill: DrillDefinition<S>,
  env: DrillEnv,
  s: S,
  fault: Fault,
  files: RunFiles,
  heartbeat: () => void = () => {},
): Promise<boolean> {
  if (files.firstMarker(FAULT_CONFIRMED)) return true;
  const deadline = Date.now() + (drill.confirmWithinMs ?? DEFAULT_CONFIRM_WITHIN_MS);
  let last = 'nothing seen yet';
  for (;;) {
    try {
      const seen = await drill.confirm(env, s, fault);
      files.mark(FAULT_CONFIRMED, Date.now(), seen);
      return true;
    } catch (err) {
      last = (err as Error)?.message ?? String(err);
    }
    heartbeat();
    if (Date.now() > deadline || env.signal.aborted) break;
    await sleep(250);
  }
  files.mark(FAULT_UNCONFIRMED, Date.now(), last.slice(0, 300));
  env.log.warn({ reason: last }, 'the fault could not be confirmed on the system');
  return false;
}
