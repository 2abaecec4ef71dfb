// Temporal adapters over src/engine: each activity rebuilds its session from serializable input,
// heartbeats while it waits, and honours cancellation (abort signal, workflow cancel).
import { existsSync, readFileSync } from 'node:fs';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type pino from 'pino';
import { canaryProgressSignal } from '../workflows/names.ts';
import { getDrill } from '../src/drill/catalogue.ts';
import { checkPlatformSupports } from '../src/drill/requirements.ts';
import { planRun, type DrillPlan } from '../src/drill/validate.ts';
import type { Fault } from '../src/drill/definition.ts';
import { ledgerPrefix, ledgerStats, runLedgerWriter } from '../src/engine/ledger-writer.ts';
import { confirmFault } from '../src/engine/confirm.ts';
import { composeResult } from '../src/engine/record.ts';
import { RunFiles } from '../src/engine/run-files.ts';
import { openSession, withDrill } from '../src/engine/session.ts';
import { awaitSteadyState, watchRecovery } from '../src/engine/watch.ts';
import { classifyLedger, foldLedger, parseLedgerLog } from '../src/measure/ledger.ts';
import { FAULT_CONFIRMED, FAULT_UNCONFIRMED, type DrillResult } from '../src/measure/types.ts';
import { ResultStore } from '../src/results/store.ts';
import { loadTopology } from '../src/topology/load.ts';
import { UserError } from '../src/util/errors.ts';
import { sleep } from '../src/util/wait.ts';
import type { DrillActivities, DrillInput, RecordInput, VerifySummary } from './types.ts';

export interface DrillActivityDeps {
  log: pino.Logger;
  /** Sends live canary counts to the drill workflow (optional: progress works without it). */
  client?: Client;
  /** Resolved lazily: the database may come up after the worker. */
  databaseUrl: (input: DrillInput) => string;
  /** Called with every recorded result (metrics). */
  onResult?: (result: DrillResult) => void;
}

/** UserError → non-retryable failure whose message the CLI can show as it is. */
async function userFacing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UserError)
      throw ApplicationFailure.create({ message: err.message, type: 'UserError', nonRetryable: true });
    throw err;
  }
}

/** Heartbeats on a timer while `fn` runs, so long steps stay visibly alive and cancellable. */
async function heartbeating<T>(fn: () => Promise<T>, everyMs = 1_000): Promise<T> {
  const timer = setInterval(() => Context.current().heartbeat(), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

export function createDrillActivities(deps: DrillActivityDeps): DrillActivities {
  const logFor = (input: DrillInput) =>
    deps.log.child({
      runId: input.runId,
      drill: input.drill,
      workflowId: Context.current().info.workflowExecution?.workflowId,
    });
  const session = (input: DrillInput, plan: DrillPlan) =>
    openSession(input, plan, logFor(input), Context.current().cancellationSignal);

  return {
    async planDrill(input) {
      return userFacing(async () => {
        const plan = planRun(await getDrill(input.drill), input, loadTopology());
        const s = await session(input, plan);
        await checkPlatformSupports(s.drill, input.platform); // a worker that did not plan it checks again
        for (const component of plan.needs) s.env.platform.endpoints(component); // refuses if not running
        s.files.writeJson('plan.json', plan);
        if (!s.files.readJson('started.json')) s.files.writeJson('started.json', { at: Date.now() });
        s.env.log.info(
          { variant: plan.variant, targets: plan.targets, deadlineMs: plan.deadlineMs },
          'drill planned',
        );
        return plan;
      });
    },

    async preflightDrill(input, plan) {
      return userFacing(async () => {
        const s = await session(input, plan);
        const findings = await withDrill(s, async (st) => s.drill.preflight?.(s.env, st));
        // The configuration promises more than the model asks (synchronous replication: RPO 0):
        // judge the run by that promise, unless the run set its own RPO target.
        if (!findings?.rpo || plan.targets.rpoMs !== null || input.targets?.rpo !== undefined) return plan;
        const judged: DrillPlan = {
          ...plan,
          targets: {
            ...plan.targets,
            rpoMs: findings.rpo.rpoMs,
            source: `${plan.targets.source}; RPO ${findings.rpo.rpoMs} ms: ${findings.rpo.source}`,
          },
        };
        s.files.writeJson('plan.json', judged);
        s.env.log.info({ targets: judged.targets }, 'the running configuration sets the RPO target');
        return judged;
      });
    },

    async awaitSteadyState(input, plan) {
      const s = await session(input, plan);
      const ctx = Context.current();
      return withDrill(s, (st) =>
        awaitSteadyState(s.drill, s.env, st, plan, s.files, {
          timeoutMs: 60_000,
          signal: ctx.cancellationSignal,
          heartbeat: () => ctx.heartbeat(),
        }),
      );
    },

    async runLedger(input, plan) {
      const s = await session(input, plan);
      const ctx = Context.current();
      // Stops on the workflow's stopLedger (a file: immediate) or on cancellation (an abort).
      const stop = new AbortController();
      ctx.cancellationSignal.addEventListener('abort', () => stop.abort());
      const poll = setInterval(() => existsSync(s.files.path('ledger.stop')) && stop.abort(), 25);
      try {
        await heartbeating(() =>
          withDrill(s, async (st) => {
            const stats = await runLedgerWriter(s.drill, s.env, st, plan, s.files.ledgerFile, {
              signal: stop.signal,
            });
            s.env.log.info({ ...stats }, 'ledger stopped');
          }),
        );
      } finally {
        clearInterval(poll);
      }
    },

    async stopLedger(input) {
      RunFiles.for(input.reportsDir, input.runId).writeJson('ledger.stop', { at: Date.now() });
    },

    async awaitLedger(input, plan) {
      const files = RunFiles.for(input.reportsDir, input.runId);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const stats = ledgerStats(files.ledgerFile);
        if (stats.acked >= plan.minAckedBeforeFault) return stats.acked;
        if (Date.now() > deadline) {
          throw ApplicationFailure.nonRetryable(
            `the ledger got only ${stats.acked} of ${plan.minAckedBeforeFault} acknowledged writes in 60 s before the fault (${stats.failed} failed, ${stats.unknown} unknown)`,
          );
        }
        Context.current().heartbeat();
        await sleep(50);
      }
    },

    async injectFault(input, plan) {
      const s = await session(input, plan);
      const fired = (fault: Fault) => ({
        fault,
        markers: s.files
          .markers()
          .filter((m) => ['T0', 'T0_done', FAULT_CONFIRMED, FAULT_UNCONFIRMED].includes(m.marker)),
      });
      const confirm = (fault: Fault) =>
        heartbeating(() =>
          withDrill(s, (st) =>
            confirmFault(s.drill, s.env, st, fault, s.files, () => Context.current().heartbeat()),
          ),
        );
      const already = s.files.fault();
      if (already) {
        // A retry after a crash: never inject twice. A pending record means the command may or
        // may not have been issued; the compensation undoes it either way. Whether it took effect
        // is asked of the system, as after any injection.
        if (already.pending)
          s.env.mark('inject-resumed', 'worker died while injecting; the fault is not issued again');
        if (!s.files.firstMarker(FAULT_CONFIRMED) && !s.files.firstMarker(FAULT_UNCONFIRMED))
          await confirm(already).catch(() => false);
        return fired(already);
      }
      // The recovery watch was started just before this activity: fire only once it is sampling,
      // so the first canary after T0 is at most one probe interval late.
      const since = Date.now();
      for (let i = 0; i < 100 && !s.files.canaries().some((c) => c.at >= since); i++)
        await sleep(plan.probeIntervalMs);
      return heartbeating(
        () =>
          withDrill(s, async (st) => {
            const fault = await s.drill.inject(s.env, st);
            if (!s.files.firstMarker('T0'))
              throw new Error(`drill ${plan.drill} returned from inject() without firing a fault`);
            s.files.writeJson('fault.json', fault);
            s.env.log.info({ fault: fault.description, touched: fault.touched }, 'fault injected');
            await confirmFault(s.drill, s.env, st, fault, s.files, () => Context.current().heartbeat());
            return fired(fault);
          }),
        500,
      );
    },

    async watchRecovery(input, plan, latencyBoundMs) {
      const s = await session(input, plan);
      const ctx = Context.current();
      const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
      let lastSent = 0;
      const outcome = await withDrill(s, (st) =>
        watchRecovery(s.drill, s.env, st, plan, s.files, {
          latencyBoundMs,
          signal: ctx.cancellationSignal,
          heartbeat: (d) => ctx.heartbeat(d),
          onProgress: (p) => {
            if (!deps.client || Date.now() - lastSent < 1_000) return;
            lastSent = Date.now();
            deps.client.workflow
              .getHandle(workflowId)
              .signal(canaryProgressSignal, p)
              .catch(() => {});
          },
        }),
      );
      await deps.client?.workflow
        .getHandle(workflowId)
        .signal(canaryProgressSignal, {
          ok: outcome.recovery.ok,
          failed: outcome.recovery.failed,
          lastOk: true,
        })
        .catch(() => {});
      const markers = s.files.markers().filter((m) => ['T_detect', 'T_service', 'T_full'].includes(m.marker));
      return { ...outcome, markers };
    },

    async remediate(input, plan, fault) {
      const s = await session(input, plan);
      if (!s.drill.remediate) return;
      if (s.files.firstMarker('remediated')) return;
      if (!s.files.firstMarker('remediation')) s.env.mark('remediation', 'runbook recovery action started');
      await heartbeating(() => s.drill.remediate!(s.env, fault));
      s.env.mark('remediated', 'runbook recovery action finished');
    },

    async verifyData(input, plan): Promise<VerifySummary> {
      const s = await session(input, plan);
      const t0 = s.files.firstMarker('T0')!.at;
      try {
        const summary = await heartbeating(() =>
          withDrill(s, async (st) => {
            // The ledger first: its text and events are garbage before the read-back arrives, so
            // the two largest allocations of a drill are not held at the same time.
            const entries = foldLedger(parseLedgerLog(readFileSync(s.files.ledgerFile, 'utf8')));
            // A system just back from a fault may still be settling (e.g. a leader election):
            // read back a few times before calling the measurement incomplete.
            let readBack: Awaited<ReturnType<typeof s.drill.readBack>> | undefined;
            for (let attempt = 1; !readBack; attempt++) {
              try {
                readBack = await s.drill.readBack(s.env, st, ledgerPrefix(input.runId));
              } catch (err) {
                if (attempt >= 4) throw err;
                s.env.log.warn({ attempt, error: (err as Error).message }, 'read-back failed; retrying');
                await sleep(2_000 * attempt);
              }
            }
            const ledger = classifyLedger(entries, readBack, t0, { exactlyOnce: plan.exactlyOnce });
            const recoveryPointAt = s.drill.recoveryPoint
              ? await s.drill.recoveryPoint(s.env, st, s.files.fault()!)
              : null;
            return { ledger, recoveryPointAt };
          }),
        );
        s.env.mark('T_verified', `${summary.ledger.acked} acknowledged, ${summary.ledger.lost} lost`);
        s.files.writeJson('verify.json', summary);
        return summary;
      } catch (err) {
        const reason = `the ledger could not be read back: ${(err as Error).message}`;
        s.files.writeJson('verify.json', { ledger: null, inconclusiveReason: reason });
        return { ledger: null, inconclusiveReason: reason };
      }
    },

    async revertFault(input, plan, fault) {
      const s = await session(input, plan);
      const toUndo = fault ?? s.files.fault();
      if (!toUndo) return; // the fault command was never issued
      await heartbeating(() => s.drill.revert(s.env, toUndo as Fault));
      s.env.mark('reverted', `compensation: ${toUndo.description} undone`);
      s.env.log.info({ fault: toUndo.description }, 'fault reverted');
    },

    async recordResult(input, plan, outcome: RecordInput) {
      const s = await session(input, plan);
      const startedAt = s.files.readJson<{ at: number }>('started.json')?.at ?? Date.now();
      const config = await withDrill(s, (st) => s.drill.config(s.env, st)).catch((err: Error) => ({
        error: `configuration snapshot failed: ${err.message}`,
      }));
      let versions: Record<string, string> = {};
      try {
        versions = s.env.platform.versions();
      } catch {
        /* platform gone: versions unknown */
      }
      const result = composeResult({
        runId: input.runId,
        platform: input.platform.kind,
        plan,
        files: s.files,
        outcome,
        config,
        versions,
        startedAt,
      });
      s.files.writeJson('result.json', result);
      const store = await ResultStore.connect(deps.databaseUrl(input));
      try {
        await store.saveRun(result, s.files.canaries(), outcome.workflowId);
      } finally {
        await store.close();
      }
      s.env.log.info(
        {
          verdict: result.verdict,
          rtoServiceMs: result.rto.serviceMs,
          lost: result.rpo.lost,
          reason: result.reason,
        },
        'drill recorded',
      );
      deps.onResult?.(result);
      return result;
    },

    async writeGameDaySummary(outcome) {
      // reportsDir is already reports/<gameDayId>/: the summary sits beside the runs' folders.
      new RunFiles(outcome.reportsDir).writeJson('summary.json', outcome);
    },
  };
}
