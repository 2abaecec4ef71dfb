// drillWorkflow: validate → steady state → ledger → inject (T0) → watch recovery → verify data →
// compensate → record. Orchestration only: every measurement is taken in an activity, and the
// compensation runs in a non-cancellable scope on every path (success, breach, error, cancel,
// abort), so an injected fault is always reverted.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { DrillActivities, DrillInput, WatchSummary, VerifySummary } from '../activities/types.ts';
import type { DrillResult } from '../src/measure/types.ts';
import type { LatencyBound } from '../src/measure/recovery.ts';
import type { DrillPlan } from '../src/drill/validate.ts';
import type { Fault } from '../src/drill/definition.ts';
import { abortSignal, canaryProgressSignal, progressQuery, type DrillProgress, type Phase } from './names.ts';

// Short steps that heartbeat while they run (activities/drill.ts, userFacing): a dead worker is
// noticed in seconds, not after the 2-minute bound.
const quick = proxyActivities<DrillActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['UserError'] },
});
// Injection happens at most once: the activity records the fault (fault.json) before issuing the
// command, and a retry after a worker crash returns that record instead of injecting again. An
// abort waits for the injection step to end (it refuses to fire once cancelled): compensation
// must never run beside an injection that could still fire after it.
const once = proxyActivities<DrillActivities>({
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second', nonRetryableErrorTypes: ['UserError'] },
});
// Long-running, heartbeating: a dead worker is noticed within the heartbeat timeout and the
// activity resumes on another worker.
const watching = proxyActivities<DrillActivities>({
  startToCloseTimeout: '3 hours',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', nonRetryableErrorTypes: ['UserError'] },
});
// The ledger runs until cancelled; verification must not start before it has really stopped,
// or a write acknowledged after the read-back would look lost.
const ledgerWriter = proxyActivities<DrillActivities>({
  startToCloseTimeout: '3 hours',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 10, initialInterval: '1 second' },
});
// The revert's attempts: each one heartbeats only while it makes progress, so a hung call is
// retried within minutes (src: activities/drill.ts, liveness), not after the 30-minute bound.
// When every attempt failed the fault is journaled as left in place: the verdict is FAULT-LEFT.
const DEFAULT_REVERT_ATTEMPTS = 20;
const compensatingWith = (attempts: number) =>
  proxyActivities<DrillActivities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: { maximumAttempts: attempts, initialInterval: '2 seconds', maximumInterval: '30 seconds' },
  });
const recording = proxyActivities<DrillActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 20, initialInterval: '2 seconds', maximumInterval: '30 seconds' },
});

const messageOf = (err: unknown): string =>
  err instanceof Error
    ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`
    : String(err);

export async function drillWorkflow(input: DrillInput): Promise<DrillResult> {
  const progress: DrillProgress = {
    runId: input.runId,
    drill: input.drill,
    variant: input.variant ?? '',
    phase: 'validate',
    startedAt: Date.now(),
    elapsedMs: 0,
    canary: { ok: 0, failed: 0, lastOk: null },
    markers: [],
  };
  const phase = (p: Phase) => {
    progress.phase = p;
  };
  const main = new CancellationScope();
  setHandler(progressQuery, () => ({ ...progress, elapsedMs: Date.now() - progress.startedAt }));
  setHandler(canaryProgressSignal, (c) => {
    progress.canary = c;
  });
  setHandler(abortSignal, (reason) => {
    progress.aborted = reason || 'aborted by the operator';
    main.cancel();
  });

  let plan: DrillPlan | undefined;
  let refused = false;
  let injected = false;
  let fault: Fault | null = null;
  let abortedReason: string | undefined;
  let errorReason: string | undefined;
  let watch: WatchSummary | undefined;
  let verify: VerifySummary | undefined;
  let latency: LatencyBound | null = null;
  let ledgerScope: CancellationScope | undefined;
  let ledgerDone: Promise<unknown> | undefined;

  try {
    await main.run(async () => {
      // Planning is quick and pure: an abort meanwhile takes effect right after it, so the run
      // has a plan and is recorded as ABORTED rather than vanishing as a refusal.
      plan = await CancellationScope.nonCancellable(() => quick.planDrill(input));
      progress.variant = plan.variant;
      phase('preflight');
      try {
        plan = await quick.preflightDrill(input, plan);
      } catch (err) {
        // Refused by the system's state, like a bad option: nothing to record. An abort meanwhile
        // is not a refusal: the run is recorded as ABORTED.
        if (!isCancellation(err)) refused = true;
        throw err;
      }

      phase('steady-state');
      const steady = await watching.awaitSteadyState(input, plan);
      if (!steady.ok) {
        abortedReason = `steady state never held: ${steady.reason}`;
        return; // nothing injected, nothing to revert
      }
      progress.markers.push({ marker: 'T_steady', at: steady.at });
      latency = steady.latency ?? null;
      // A run that derived no bound (an older worker) judges latency by the canary timeout alone.
      const latencyBoundMs = steady.latency?.boundMs ?? plan.probeTimeoutMs;

      phase('ledger');
      ledgerScope = new CancellationScope();
      ledgerDone = ledgerScope.run(() => ledgerWriter.runLedger(input, plan!)).catch(() => undefined);
      await watching.awaitLedger(input, plan);

      phase('inject');
      // The watch starts first and samples canaries across T0, so the first sample after the fault
      // is at most one probe interval late (not one activity start late).
      const watchScope = new CancellationScope();
      const watched = watchScope.run(() => watching.watchRecovery(input, plan!, latencyBoundMs));
      watched.catch(() => undefined);
      try {
        injected = true; // set before the call: a crash inside it may still have injected
        const fired = await once.injectFault(input, plan);
        fault = fired.fault;
        progress.markers.push(...fired.markers);
      } catch (err) {
        watchScope.cancel();
        throw err;
      }

      phase('recover');
      if (plan.remediateAfterMs !== null) {
        // The platform brings the member back `remediateAfterMs` after the fault (T0), not after
        // the injection step, which also watched the symptom and confirmed the fault.
        const t0 = progress.markers.find((m) => m.marker === 'T0')?.at;
        await sleep(Math.max(0, (t0 ?? Date.now()) + plan.remediateAfterMs - Date.now()));
        await watching.remediate(input, plan, fault);
      }
      watch = await watched;
      progress.markers.push(...watch.markers);

      // The stop file is the fast path for a writer on the worker that wrote it; the
      // cancellation reaches a writer on any other worker (at its next heartbeat).
      await quick.stopLedger(input);
      ledgerScope.cancel();
      await ledgerDone; // its log is what counts
      phase('verify');
      verify = await watching.verifyData(input, plan);
    });
  } catch (err) {
    if (progress.aborted) abortedReason = progress.aborted;
    else if (isCancellation(err)) abortedReason = 'the drill workflow was cancelled';
    else errorReason = messageOf(err);
  } finally {
    ledgerScope?.cancel();
  }
  await CancellationScope.nonCancellable(async () => {
    await ledgerDone; // the writer has stopped before anything is reverted or recorded
  });

  // Compensation and the record survive cancellation: this is the guarantee the drill makes.
  return await CancellationScope.nonCancellable(async () => {
    let faultLeftReason: string | undefined;
    if (injected && plan) {
      phase('compensate');
      try {
        await compensatingWith(input.revertAttempts ?? DEFAULT_REVERT_ATTEMPTS).revertFault(
          input,
          plan,
          fault,
        );
      } catch (err) {
        // Never a refusal, never hidden: journaled as left, recorded as FAULT-LEFT, the target
        // stays locked until `firedrill faults revert` undoes it.
        const left = await recording.markFaultLeft(input, plan, `the revert gave up: ${messageOf(err)}`);
        progress.faultLeft = left;
        faultLeftReason = `FAULT LEFT IN PLACE: ${left.map((f) => `${f.description} (${f.touched.join(', ') || 'target'}; retry: firedrill faults revert ${f.id})`).join('; ') || 'the revert gave up'} — ${messageOf(err)}`;
      }
    }
    if (!plan || refused) {
      // Refused before anything was injected: nothing to record but the refusal itself.
      if (plan) await recording.releaseTarget(input, plan);
      throw ApplicationFailure.nonRetryable(
        errorReason ?? abortedReason ?? 'the drill could not be planned',
        'DrillRefused',
      );
    }
    phase('record');
    const result = await recording.recordResult(input, plan, {
      injected,
      faultLeftReason,
      markers: progress.markers,
      startedAt: progress.startedAt,
      latency,
      abortedReason,
      errorReason,
      watch: watch ?? null,
      verify: verify ?? null,
      workflowId: workflowInfo().workflowId,
    });
    // Held until the revert is recorded; a fault left keeps it held (releaseTarget refuses).
    await recording.releaseTarget(input, plan);
    phase('done');
    return result;
  });
}
