// Canary sampling: steady state before the fault, and the recovery watch after it. Every sample
// is kept (canary.jsonl); T_detect / T_service are computed from them by the pure measurement
// library, T_full from the drill's full-recovery predicate.
import type { DrillDefinition, DrillEnv, Fault } from '../drill/definition.ts';
import type { DrillPlan } from '../drill/validate.ts';
import { recoveryFigures } from '../measure/recovery.ts';
import type { CanarySample, RecoveryFigures } from '../measure/types.ts';
import { sleep } from '../util/wait.ts';
import type { RunFiles } from './run-files.ts';

async function timed(p: () => Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout;
  await Promise.race([
    p().finally(() => clearTimeout(timer)),
    new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`canary took longer than ${timeoutMs} ms`)), timeoutMs);
    }),
  ]);
}

/** One canary, timed by the wall clock of this process. */
export async function sampleCanary<S>(
  drill: DrillDefinition<S>,
  env: DrillEnv,
  s: S,
  timeoutMs: number,
): Promise<CanarySample> {
  const at = Date.now();
  try {
    await timed(() => drill.canary(env, s), timeoutMs);
    return { at, end: Date.now(), ok: true };
  } catch (err) {
    return { at, end: Date.now(), ok: false, error: String((err as Error)?.message ?? err).slice(0, 200) };
  }
}

export interface SteadyOutcome {
  ok: boolean;
  at: number;
  reason?: string;
}

/** K consecutive successful canaries within the timeout, or the reason it never held. */
export async function awaitSteadyState<S>(
  drill: DrillDefinition<S>,
  env: DrillEnv,
  s: S,
  plan: DrillPlan,
  files: RunFiles,
  opts: { timeoutMs: number; signal: AbortSignal; heartbeat: () => void },
): Promise<SteadyOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  let streak = 0;
  let lastError = 'no canary ran';
  while (Date.now() < deadline && !opts.signal.aborted) {
    const sample = await sampleCanary(drill, env, s, plan.probeTimeoutMs);
    files.canary(sample);
    opts.heartbeat();
    streak = sample.ok ? streak + 1 : 0;
    if (!sample.ok) lastError = sample.error ?? 'canary failed';
    if (streak >= plan.consecutiveOk) {
      const m = files.mark('T_steady', Date.now(), `${streak} consecutive canaries ok`);
      return { ok: true, at: m.at };
    }
    await sleep(Math.max(0, sample.at + plan.probeIntervalMs - Date.now()));
  }
  return {
    ok: false,
    at: Date.now(),
    reason: `no ${plan.consecutiveOk} consecutive successful canaries within ${opts.timeoutMs} ms (last: ${lastError})`,
  };
}

export interface WatchOptions {
  signal: AbortSignal;
  heartbeat: (details: unknown) => void;
  onProgress?: (p: { ok: number; failed: number; lastOk: boolean | null }) => void;
}

export interface WatchOutcome {
  recovery: RecoveryFigures;
  fullAt?: number;
  deadlineHit: boolean;
}

/**
 * Samples the canary every probe interval, from before T0 (it is started just ahead of the
 * injection and waits for the T0 marker), until the service has recovered (K in a row) and the
 * full-recovery predicate holds, or the deadline passes. Resumable: a new worker reads the
 * samples already taken and carries on.
 */
export async function watchRecovery<S>(
  drill: DrillDefinition<S>,
  env: DrillEnv,
  s: S,
  plan: DrillPlan,
  files: RunFiles,
  opts: WatchOptions,
): Promise<WatchOutcome> {
  let t0 = files.firstMarker('T0')?.at;
  let fault: Fault | undefined = t0 !== undefined ? files.fault() : undefined;
  const samples = files.canaries();
  if (t0 !== undefined && samples.some((c) => c.at >= t0!))
    files.mark('watch-resumed', Date.now(), `after ${samples.length} samples`);
  let figures: RecoveryFigures = { ok: 0, failed: 0 };
  let fullAt = files.firstMarker('T_full')?.at;
  let detectMarked = files.firstMarker('T_detect') !== undefined;
  let serviceMarked = files.firstMarker('T_service') !== undefined;
  let stop = false;

  const fullLoop = async () => {
    while (!stop && fullAt === undefined) {
      // Polled from T0 on (drills record what they see on the way, e.g. the ISR shrinking), but
      // full recovery only counts once the service has recovered too.
      if (fault) {
        try {
          const holds = await drill.fullyRecovered(env, s, fault);
          if (holds && figures.serviceAt !== undefined) {
            fullAt = Date.now();
            files.mark('T_full', fullAt, 'full-recovery predicate holds');
          }
        } catch {
          /* not yet */
        }
      }
      await sleep(250);
    }
  };
  const full = fullLoop();
  let lastBeat = 0;
  try {
    while (!opts.signal.aborted) {
      const sample = await sampleCanary(drill, env, s, plan.probeTimeoutMs);
      files.canary(sample);
      samples.push(sample);
      if (t0 === undefined) {
        t0 = files.firstMarker('T0')?.at;
        if (t0 !== undefined) fault = files.fault();
      } else if (!fault || fault.pending) {
        fault = files.fault();
      }
      if (t0 !== undefined) {
        figures = recoveryFigures(samples, t0, plan.consecutiveOk);
        if (!detectMarked && figures.detectAt !== undefined) {
          files.mark('T_detect', figures.detectAt, 'first failed canary after T0');
          detectMarked = true;
        }
        if (!serviceMarked && figures.serviceAt !== undefined) {
          files.mark(
            'T_service',
            figures.serviceAt,
            `first of ${plan.consecutiveOk} consecutive successful canaries`,
          );
          serviceMarked = true;
        }
      }
      if (Date.now() - lastBeat > 250) {
        lastBeat = Date.now();
        opts.heartbeat({ samples: samples.length });
        opts.onProgress?.({ ok: figures.ok, failed: figures.failed, lastOk: sample.ok });
      }
      if (t0 !== undefined && figures.serviceAt !== undefined && fullAt !== undefined) break;
      if (t0 !== undefined && Date.now() > t0 + plan.deadlineMs) break;
      await sleep(Math.max(0, sample.at + plan.probeIntervalMs - Date.now()));
    }
  } finally {
    stop = true;
    await full;
  }
  opts.onProgress?.({ ok: figures.ok, failed: figures.failed, lastOk: samples.at(-1)?.ok ?? null });
  return { recovery: figures, fullAt, deadlineHit: figures.serviceAt === undefined || fullAt === undefined };
}
