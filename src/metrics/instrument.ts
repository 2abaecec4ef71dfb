// Phase hooks at the activity boundary: every drill activity is timed (phase duration histogram)
// and marks its run in progress; the activities themselves stay as they are.
import type { DrillMetrics } from './drill-metrics.ts';

/** Which phase of a drill each activity is (activities not listed are not timed). */
export const ACTIVITY_PHASES: Record<string, string> = {
  planDrill: 'validate',
  preflightDrill: 'preflight',
  awaitSteadyState: 'steady-state',
  runLedger: 'ledger',
  awaitLedger: 'ledger-warmup',
  injectFault: 'inject',
  watchRecovery: 'recover',
  remediate: 'remediate',
  verifyData: 'verify',
  revertFault: 'compensate',
  recordResult: 'record',
};

type AnyActivity = (...args: never[]) => Promise<unknown>;

export function instrumentActivities<T extends object>(
  activities: T,
  metrics: DrillMetrics,
  now: () => number = () => performance.now(),
): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities) as [string, AnyActivity][]) {
    const phase = ACTIVITY_PHASES[name];
    if (!phase) {
      out[name] = fn;
      continue;
    }
    out[name] = {
      // Keeps the activity's name: Temporal registers activities by key, logs show the function name.
      async [name](...args: unknown[]) {
        const input = args[0] as { runId?: string; drill?: string } | undefined;
        const run = input?.runId && input.drill ? { runId: input.runId, drill: input.drill } : undefined;
        if (run) metrics.touch(run.runId, run.drill);
        const started = now();
        let ok = false;
        try {
          const value = await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
          ok = true;
          return value;
        } finally {
          if (run) {
            metrics.observePhase({ ...run, phase, seconds: (now() - started) / 1000, ok });
            // A refused plan records nothing: the run is over.
            if ((name === 'planDrill' || name === 'preflightDrill') && !ok) metrics.finished(run.runId);
          }
        }
      },
    }[name];
  }
  return out as T;
}
