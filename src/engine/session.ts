// Everything one step of a drill needs, rebuilt from serializable inputs in whichever worker runs
// the step: the drill from the catalogue, the platform from its reference, the run's files.
import type pino from 'pino';
import { getDrill } from '../drill/catalogue.ts';
import type { DrillDefinition, DrillEnv, Fault } from '../drill/definition.ts';
import type { DrillPlan } from '../drill/validate.ts';
import { LocalPlatform } from '../platform/local/platform.ts';
import type { Platform, PlatformRef } from '../platform/platform.ts';
import { UserError } from '../util/errors.ts';
import { RunFiles } from './run-files.ts';

// The Kubernetes driver (and its client library) is loaded only by a session that needs it.
let kubernetesDriver: typeof import('../platform/kubernetes/platform.ts') | undefined;
export async function loadPlatformDriver(ref: PlatformRef): Promise<void> {
  if (ref.kind === 'kubernetes') kubernetesDriver ??= await import('../platform/kubernetes/platform.ts');
}

export function platformFor(ref: PlatformRef): Platform {
  if (ref.kind === 'local') return new LocalPlatform(ref.sandbox ?? 'default');
  if (ref.kind === 'kubernetes') {
    if (!kubernetesDriver)
      throw new Error('the Kubernetes driver is not loaded: await loadPlatformDriver(ref) first');
    return new kubernetesDriver.KubernetesPlatform(ref);
  }
  throw new UserError(
    `platform "${ref.kind}" is not available in this build`,
    'use --platform local or kubernetes',
  );
}

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
  plan: Pick<DrillPlan, 'variant' | 'options'> | undefined,
  log: pino.Logger,
  signal: AbortSignal = new AbortController().signal,
): Promise<Session> {
  const drill = await getDrill(input.drill);
  await loadPlatformDriver(input.platform);
  const files = RunFiles.for(input.reportsDir, input.runId);
  const env: DrillEnv = {
    runId: input.runId,
    variant: plan?.variant ?? input.variant ?? drill.defaultVariant,
    options: plan?.options ?? input.options ?? {},
    platform: platformFor(input.platform),
    runDir: files.dir,
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
      files.mark('T0', Date.now(), fault.description);
      await command();
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
