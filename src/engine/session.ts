// Everything one step of a drill needs, rebuilt from serializable inputs in whichever worker runs
// the step: the drill from the catalogue, the platform from its reference, the run's files. Every
// step runs after the plan, so the env's options are the plan's checked values.
import type pino from 'pino';
import { getDrill } from '../drill/catalogue.ts';
import type { DrillDefinition, DrillEnv, Fault } from '../drill/definition.ts';
import { drillOptions } from '../drill/options.ts';
import type { DrillPlan } from '../drill/validate.ts';
import type { PlatformRef } from '../platform/platform.ts';
import { loadPlatformDriver, platformFor } from '../platform/registry.ts';
import { runEvidence } from './evidence.ts';
import { RunFiles } from './run-files.ts';

export interface Session<S = unknown> {
  drill: DrillDefinition<S>;
  env: DrillEnv;
  files: RunFiles;
}

export async function openSession(
  input: {
    runId: string;
    drill: string;
    variant?: string;
    options?: Record<string, unknown>;
    platform: PlatformRef;
    reportsDir: string;
  },
  plan: Pick<DrillPlan, 'variant' | 'options'>,
  log: pino.Logger,
  signal: AbortSignal = new AbortController().signal,
): Promise<Session> {
  const drill = await getDrill(input.drill);
  await loadPlatformDriver(input.platform);
  const files = RunFiles.for(input.reportsDir, input.runId);
  const env: DrillEnv = {
    runId: input.runId,
    variant: plan.variant,
    options: drillOptions(drill.name, drill.options, plan.options),
    platform: platformFor(input.platform),
    evidence: runEvidence(files),
    log,
    mark: (marker, note, at) => {
      files.mark(marker, at ?? Date.now(), note);
    },
    signal,
    fire: async (fault: Fault, command) => {
      if (files.firstMarker('T0')) throw new Error('the fault was already fired for this run');
      // The activity's cancellation (its reason reports the step as cancelled, not failed).
      if (signal.aborted)
        throw signal.reason ?? new Error('aborted before the fault was fired: nothing injected');
      files.writeJson('fault.json', { ...fault, pending: true });
      const t0 = Date.now();
      files.mark('T0', t0, fault.description);
      await command(t0);
      files.mark('T0_done', Date.now());
      files.writeJson('fault.json', fault);
    },
  };
  return { drill, env, files };
}

/** Opens the drill's clients for one step and always closes them. */
export async function withDrill<T>(session: Session, step: (s: unknown) => Promise<T>): Promise<T> {
  const s = await session.drill.open(session.env);
  try {
    return await step(s);
  } finally {
    await session.drill.close(session.env, s).catch(() => {});
  }
}
