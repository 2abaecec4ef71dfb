// Canary sampling: steady state before the fault, and the recovery watch after it. Every sample
// is kept (canary.jsonl); T_detect / T_service are computed from them by the pure measurement
// library, T_full from the drill's full-recovery predicate.
//
// The recovery watch runs open loop (measurement spec, "Canaries"): a canary starts every probe
// interval whether or not earlier ones have finished, up to a bound on how many may be
// outstanding, so a canary that hangs never blinds the watch for its timeout.
import type { DrillDefinition, DrillEnv, Fault } from '../drill/definition.ts';
import type { DrillPlan } from '../drill/validate.ts';
import { latencyBound, recoveryFigures, type LatencyBound } from '../measure/recovery.ts';
import type { CanarySample, RecoveryFigures } from '../measure/types.ts';
import { sleep } from '../util/wait.ts';
import type { RunFiles } from './run-files.ts';

/** Rejects after `timeoutMs`; clears its timer either way. */
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

/** Samples the steady state takes at least, so that its p99 means something. */
export const MIN_STEADY_SAMPLES = 20;

export interface SteadyOutcome {
  ok: boolean;
  at: number;
  reason?: string;
  /** The latency bound the recovery watch judges canaries by. */
  latency?: LatencyBound;
}

/**
 * K consecutive successful canaries (within the latency bound) after at least MIN_STEADY_SAMPLES,
 * within the timeout, or the reason it never held. Derives the latency bound from what it saw
 * (or checks that the drill's own bound is one the steady state meets).
 */
export async function awaitSteadyState<S>(
  drill: DrillDefinition<S>,
  env: DrillEnv,
  s: S,
  plan: DrillPlan,
  files: RunFiles,
  opts: { timeoutMs: number; signal: AbortSignal; heartbeat: () => void },
): Promise<SteadyOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  const samples: CanarySample[] = [];
  let lastError = 'no canary ran';
  const need = Math.max(plan.consecutiveOk, MIN_STEADY_SAMPLES);
  while (Date.now() < deadline && !opts.signal.aborted) {
    const sample = await sampleCanary(drill, env, s, plan.probeTimeoutMs);
    files.canary(sample);
    samples.push(sample);
    opts.heartbeat();
    if (!sample.ok) lastError = sample.error ?? 'canary failed';
    const latency = latencyBound(samples.slice(-need * 2), {
      ownMs: plan.latencyBoundMs,
      timeoutMs: plan.probeTimeoutMs,
    });
    // A drill's own bound below what the system does when healthy: every canary would be a failure.
    if (
      plan.latencyBoundMs !== null &&
      samples.filter((x) => x.ok).length >= need &&
      (latency.steadyP99Ms ?? 0) > plan.latencyBoundMs
    )
      return {
        ok: false,
        at: Date.now(),
        reason: `the drill's latency bound (probe.latencyBoundMs ${plan.latencyBoundMs} ms) is below the steady-state p99 of ${latency.steadyP99Ms} ms: every canary would count as a failure; raise it, or leave it out to derive it from the steady state`,
      };
    const lastK = samples.slice(-plan.consecutiveOk);
    const held = lastK.every((x) => x.ok && x.end - x.at <= latency.boundMs);
    if (!held && lastK.every((x) => x.ok))
      lastError = `canaries slower than the latency bound ${latency.boundMs} ms (${latency.source})`;
    if (samples.length >= need && lastK.length === plan.consecutiveOk && held) {
      const m = files.mark(
        'T_steady',
        Date.now(),
        `${plan.consecutiveOk} consecutive canaries ok; latency bound ${latency.boundMs} ms (${latency.source})`,
      );
      return { ok: true, at: m.at, latency };
    }
    await sleep(Math.max(0, sample.at + plan.probeIntervalMs - Date.now()));
  }
  return {
    ok: false,
    at: Date.now(),
    reason: `no ${plan.consecutiveOk} consecutive successful canaries within ${opts.timeoutMs} ms (last: ${lastError})`,
  };
}

/** The run's fault as the journal has it: T0 and what was done, once the command was issued. */
export interface FiredFault {
  t0: number;
  fault: Fault;
  /** The command returned and the record is final (T0 exact, the drill's details in). */
  settled: boolean;
}

export interface WatchOptions {
  /** The fault, when it has been fired (from the shared journal: any worker may have fired it). */
  fired: () => FiredFault | undefined;
  signal: AbortSignal;
  heartbeat: (details: unknown) => void;
  onProgress?: (p: { ok: number; failed: number; lastOk: boolean | null }) => void;
  /** From the steady state: a canary slower than this is a failure. */
  latencyBoundMs: number;
}

export interface WatchOutcome {
  recovery: RecoveryFigures;
  fullAt?: number;
  deadlineHit: boolean;
  /** Canary starts skipped because too many were outstanding (the resolution suffered). */
  skipped: number;
}

/** How many canaries may be outstanding at once: enough to cover a whole timeout, and no more. */
export function maxOutstanding(plan: Pick<DrillPlan, 'probeTimeoutMs' | 'probeIntervalMs'>): number {
  return Math.min(64, Math.ceil(plan.probeTimeoutMs / plan.probeIntervalMs) + 2);
}

/**
 * Starts a canary every probe interval, from before T0 (it is started just ahead of the injection
 * and waits for the T0 marker), until the service has recovered (K in a row, final: no canary that
 * could change it still outstanding) and the full-recovery predicate holds, or the deadline
 * passes. Resumable: a new worker reads the samples already taken and carries on.
 */
export async function watchRecovery<S>(
  drill: DrillDefinition<S>,
  env: DrillEnv,
  s: S,
  plan: DrillPlan,
  files: RunFiles,
  opts: WatchOptions,
): Promise<WatchOutcome> {
  // Only a settled fault's T0 is measured from: while the command runs, the journal holds an
  // instant written just before it, and canaries between that and the real T0 (many, on a loaded
  // machine) would let the watch judge a recovery before the fault has even begun.
  const settledT0 = (f: FiredFault | undefined) => (f?.settled ? f.t0 : undefined);
  let fired = opts.fired();
  let t0 = settledT0(fired);
  let fault: Fault | undefined = fired?.fault;
  const samples = files.canaries();
  if (t0 !== undefined && samples.some((c) => c.end > t0!))
    files.mark('watch-resumed', Date.now(), `after ${samples.length} samples`);
  const measure = { k: plan.consecutiveOk, latencyBoundMs: opts.latencyBoundMs };
  let figures: RecoveryFigures = { ok: 0, failed: 0 };
  let fullAt = files.firstMarker('T_full')?.at;
  let detectMarked = files.firstMarker('T_detect') !== undefined;
  let serviceMarked = files.firstMarker('T_service') !== undefined;
  let stop = false;
  let skipped = 0;
  /** Canaries started and not yet completed: their start instant and their outcome to come. */
  const pending = new Map<number, { at: number; done: Promise<void> }>();
  let nextId = 0;
  let lastOk: boolean | null = null;

  const refresh = () => {
    // Until the fault is settled its record may still be the one written before the drill's own
    // details, and its T0 not yet the real one: read both again.
    if (!fired?.settled) {
      fired = opts.fired();
      t0 = settledT0(fired);
      fault = fired?.fault;
    }
    if (t0 === undefined) return;
    figures = recoveryFigures(samples, t0, {
      ...measure,
      pendingStarts: [...pending.values()].map((p) => p.at),
    });
    if (!detectMarked && figures.detectAt !== undefined) {
      files.mark('T_detect', figures.detectAt, 'first failed canary after T0');
      detectMarked = true;
    }
    if (!serviceMarked && figures.serviceAt !== undefined) {
      files.mark(
        'T_service',
        figures.serviceAt,
        `completion of the first of ${plan.consecutiveOk} consecutive successful canaries`,
      );
      serviceMarked = true;
    }
  };

  const launch = () => {
    const id = nextId++;
    const at = Date.now();
    const done = sampleCanary(drill, env, s, plan.probeTimeoutMs).then((sample) => {
      pending.delete(id);
      files.canary(sample);
      samples.push(sample);
      lastOk = sample.ok && sample.end - sample.at <= opts.latencyBoundMs;
      refresh();
    });
    pending.set(id, { at, done });
  };

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
  const limit = maxOutstanding(plan);
  let lastBeat = 0;
  const origin = Date.now();
  try {
    for (let tick = 0; !opts.signal.aborted; tick++) {
      if (pending.size < limit) launch();
      else skipped++;
      refresh();
      if (Date.now() - lastBeat > 250) {
        lastBeat = Date.now();
        opts.heartbeat({ samples: samples.length, outstanding: pending.size });
        opts.onProgress?.({ ok: figures.ok, failed: figures.failed, lastOk });
      }
      if (t0 !== undefined && figures.serviceAt !== undefined && fullAt !== undefined) break;
      if (t0 !== undefined && Date.now() > t0 + plan.deadlineMs) break;
      // On a fixed grid from the first start: a late wake-up does not push every later start.
      const next = origin + (tick + 1) * plan.probeIntervalMs;
      await sleep(Math.max(0, next - Date.now()));
      tick = Math.max(tick, Math.floor((Date.now() - origin) / plan.probeIntervalMs) - 1);
    }
  } finally {
    stop = true;
    // Every canary started gets its outcome recorded (each ends by its own timeout).
    await Promise.allSettled([...pending.values()].map((p) => p.done));
    await full;
  }
  refresh();
  if (skipped) files.mark('canaries-skipped', Date.now(), `${skipped} starts skipped: ${limit} outstanding`);
  opts.onProgress?.({ ok: figures.ok, failed: figures.failed, lastOk });
  return {
    recovery: figures,
    fullAt,
    deadlineHit: figures.serviceAt === undefined || fullAt === undefined,
    skipped,
  };
}
