// Temporal adapters over src/engine: each activity rebuilds its session from serializable input,
// heartbeats while it waits, and honours cancellation (abort signal, workflow cancel).
import { existsSync } from 'node:fs';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type pino from 'pino';
import { canaryProgressSignal } from '../workflows/names.ts';
import { getDrill } from '../src/drill/catalogue.ts';
import { checkPlatformSupports } from '../src/drill/requirements.ts';
import { planRun, type DrillPlan } from '../src/drill/validate.ts';
import type { Fault } from '../src/drill/definition.ts';
import { ledgerPrefix, ledgerStats, ledgerStatsOf, runLedgerWriter } from '../src/engine/ledger-writer.ts';
import { confirmFault } from '../src/engine/confirm.ts';
import { composeResult } from '../src/engine/record.ts';
import { parseJsonLines, RunFiles } from '../src/engine/run-files.ts';
import type { SharedEvidence } from '../src/engine/shared-evidence.ts';
import { openSession, withDrill, type Session } from '../src/engine/session.ts';
import { targetKey } from '../workflows/names.ts';
import { awaitSteadyState, watchRecovery } from '../src/engine/watch.ts';
import { followFault } from '../src/engine/fired.ts';
import { liveness, STALL_MS, type Liveness } from './liveness.ts';
import { FAULT_ENTRY, UNDONE_STATES, type FaultJournal, type JournalEntry } from '../src/results/journal.ts';
import { classifyLedger, foldLedger, parseLedgerLog } from '../src/measure/ledger.ts';
import {
  FAULT_CONFIRMED,
  FAULT_UNCONFIRMED,
  type CanarySample,
  type DrillResult,
} from '../src/measure/types.ts';
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
  /** The fault journal and target locks of the run's results database (shared by every worker). */
  journal: (input: DrillInput) => Promise<FaultJournal>;
  /** The run's evidence lines shared through that database (absent: this worker's folder is all). */
  evidence?: (input: DrillInput) => SharedEvidence;
  /**
   * This worker's own folder for run evidence, in place of the one the run names (a worker on
   * another machine or pod has its own disk). The journal, not the folder, is the truth.
   */
  runFolderRoot?: string;
  /** Called with every recorded result (metrics). */
  onResult?: (result: DrillResult) => void;
}

/**
 * UserError → non-retryable failure whose message the CLI can show as it is. The step heartbeats
 * while it runs: a worker that dies inside it is noticed within the heartbeat timeout and the
 * step is retried elsewhere, instead of after its whole start-to-close timeout.
 */
async function userFacing<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), QUICK_BEAT_MS);
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UserError)
      throw ApplicationFailure.create({ message: err.message, type: 'UserError', nonRetryable: true });
    throw err;
  } finally {
    clearInterval(beat);
  }
}
const QUICK_BEAT_MS = 2_000;

export function createDrillActivities(deps: DrillActivityDeps): DrillActivities {
  const logFor = (input: DrillInput) =>
    deps.log.child({
      runId: input.runId,
      drill: input.drill,
      workflowId: Context.current().info.workflowExecution?.workflowId,
    });
  const where = (input: DrillInput): DrillInput =>
    deps.runFolderRoot ? { ...input, reportsDir: deps.runFolderRoot } : input;
  const session = async (input: DrillInput, plan: DrillPlan, live?: Liveness) => {
    const journal = await deps.journal(input);
    const ctx = Context.current();
    return openSession(where(input), plan, logFor(input), ctx.cancellationSignal, {
      journal,
      evidence: deps.evidence?.(input),
      workflowId: ctx.info.workflowExecution?.workflowId ?? null,
      progress: live?.touch,
    });
  };
  const journalOf = (s: Session) => s.journal!;
  const filesOf = (input: DrillInput) => RunFiles.for(where(input).reportsDir, input.runId);
  const canariesOf = async (s: Session) => parseJsonLines<CanarySample>(await s.streamLines('canary'));

  return {
    async planDrill(input) {
      return userFacing(async () => {
        const plan = planRun(await getDrill(input.drill), input, loadTopology());
        const s = await session(input, plan);
        await checkPlatformSupports(s.drill, input.platform); // a worker that did not plan it checks again
        for (const component of plan.needs) s.env.platform.endpoints(component); // refuses if not running
        // Held from here until the revert is recorded, whichever worker or entry point asks next.
        const key = targetKey(input.platform, plan.target);
        const journal = journalOf(s);
        const me = { runId: input.runId, workflowId: s.owner.workflowId, drill: plan.drill };
        let lock = await journal.takeLock(key, me);
        if (!lock.taken && lock.holder.workflowId === me.workflowId) {
          // The holder ran under this same workflow id, which this run now has: its execution is
          // over (a terminated workflow never released). Taken over only if it left nothing in place.
          const stale = lock.holder;
          const open = (await journal.entries(stale.runId)).filter(
            (e) => e.detail && UNDONE_STATES.includes(e.state),
          );
          if (!open.length) {
            lock = await journal.takeOver(key, stale.runId, me);
            s.env.log.warn(
              { staleRun: stale.runId, since: new Date(stale.takenAt).toISOString() },
              'the target was still held by a run that is over and left nothing in place: taken over',
            );
          }
        }
        if (!lock.taken)
          throw new UserError(
            `${plan.target} is held by run ${lock.holder.runId} (${lock.holder.drill}) since ${new Date(lock.holder.takenAt).toISOString()}: its fault may still be in place`,
            'wait for that run, or see `firedrill faults` for a fault left in place and `firedrill faults revert <id>`',
          );
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
      const live = liveness(STALL_MS.step);
      const s = await session(input, plan, live);
      const ctx = Context.current();
      // Stops on the workflow's stopLedger (a file: immediate) or on cancellation (an abort).
      const stop = new AbortController();
      ctx.cancellationSignal.addEventListener('abort', () => stop.abort());
      const poll = setInterval(() => existsSync(s.files.path('ledger.stop')) && stop.abort(), 25);
      try {
        await live.run(() =>
          withDrill(s, async (st) => {
            const shared = deps.evidence?.(input);
            const stats = await runLedgerWriter(s.drill, s.env, st, plan, s.files.ledgerFile, {
              signal: stop.signal,
              onProgress: () => live.touch('ledger writes'),
              share: shared && ((text) => shared.append(input.runId, 'ledger', text)),
              resumeFrom: ledgerStatsOf(await s.streamLines('ledger')),
            });
            await shared?.flush(input.runId); // verify, on any worker, reads what was shared
            s.env.log.info({ ...stats }, 'ledger stopped');
          }),
        );
      } finally {
        clearInterval(poll);
      }
    },

    async stopLedger(input) {
      filesOf(input).writeJson('ledger.stop', { at: Date.now() });
    },

    async awaitLedger(input, plan) {
      const s = await session(input, plan);
      const deadline = Date.now() + 60_000;
      for (let round = 0; ; round++) {
        // This worker's file first (the writer usually runs here); the shared log, read whole
        // from the database, only once a second: under 100 drills re-reading it every 100 ms was
        // quadratic in the ledger's length and stalled the bench.
        let stats = ledgerStats(s.files.ledgerFile);
        if (stats.acked < plan.minAckedBeforeFault && round % 10 === 0)
          stats = ledgerStatsOf(await s.streamLines('ledger'));
        if (stats.acked >= plan.minAckedBeforeFault) return stats.acked;
        if (Date.now() > deadline) {
          throw ApplicationFailure.nonRetryable(
            `the ledger got only ${stats.acked} of ${plan.minAckedBeforeFault} acknowledged writes in 60 s before the fault (${stats.failed} failed, ${stats.unknown} unknown)`,
          );
        }
        Context.current().heartbeat();
        await sleep(100);
      }
    },

    async injectFault(input, plan) {
      const live = liveness(STALL_MS.step);
      const s = await session(input, plan, live);
      const journal = journalOf(s);
      // T0 and T0_done come from the journal (any worker may have fired), the confirmation from
      // this step's own evidence.
      const fired = (fault: Fault, entry: JournalEntry) => ({
        fault,
        markers: [
          { marker: 'T0', at: entry.t0!, note: fault.description },
          ...(entry.t0Done !== null ? [{ marker: 'T0_done', at: entry.t0Done }] : []),
          ...s.files.markers().filter((m) => [FAULT_CONFIRMED, FAULT_UNCONFIRMED].includes(m.marker)),
        ],
      });
      const confirm = (fault: Fault) =>
        live.run(() =>
          withDrill(s, (st) =>
            confirmFault(s.drill, s.env, st, fault, s.files, () => live.touch('confirming')),
          ),
        );
      const entry = await journal.begin(s.owner, FAULT_ENTRY, 'fault');
      if (entry.state !== 'planned') {
        // A retry after a crash, on this worker or another: never inject twice. `firing` means the
        // command may or may not have been issued; the compensation undoes it either way. Whether
        // it took effect is asked of the system, as after any injection.
        if (entry.state === 'firing') {
          s.env.mark('inject-resumed', 'worker died while injecting; the fault is not issued again');
          // Settled with the instant journaled just before the command: the watch (which measures
          // only from a settled T0) goes on, and what it measures can only over-read.
          await journal.update(input.runId, FAULT_ENTRY, {
            state: 'fired',
            reason: 'the worker died inside the fault command: T0 is the instant journaled just before it',
          });
        }
        if (!s.files.firstMarker(FAULT_CONFIRMED) && !s.files.firstMarker(FAULT_UNCONFIRMED))
          await confirm(entry.detail!).catch(() => false);
        return fired(entry.detail!, entry);
      }
      const prepared = (await journal.entries(input.runId)).filter((e) => e.kind === 'preparation');
      if (prepared.length)
        // Preparing twice could compound (a second pause, a second snapshot): refuse, and let the
        // compensation undo what the first attempt prepared.
        throw ApplicationFailure.nonRetryable(
          `a worker died while preparing the fault (${prepared.map((e) => e.detail?.description).join('; ')}); nothing was fired, and the compensation undoes the preparation`,
        );
      // The recovery watch was started just before this activity: fire only once it is sampling,
      // so the first canary after T0 is at most one probe interval late.
      const since = Date.now();
      // This worker's canaries first; every worker's (from the database) once every 20 polls.
      const sampling = async (i: number) =>
        s.files.canaries().some((c) => c.at >= since) ||
        (i % 20 === 19 && (await canariesOf(s)).some((c) => c.at >= since));
      for (let i = 0; i < 100 && !(await sampling(i)); i++) await sleep(plan.probeIntervalMs);
      return live.run(
        () =>
          withDrill(s, async (st) => {
            const fault = await s.drill.inject(s.env, st);
            const after = await journal.entry(input.runId, FAULT_ENTRY);
            if (!after || after.state === 'planned')
              throw new Error(`drill ${plan.drill} returned from inject() without firing a fault`);
            // The drill's own record of what it did (e.g. the target's receipt) is what revert gets.
            const final = await journal.update(input.runId, FAULT_ENTRY, { detail: fault });
            s.files.writeJson('fault.json', fault);
            s.env.log.info({ fault: fault.description, touched: fault.touched }, 'fault injected');
            await confirmFault(s.drill, s.env, st, fault, s.files, () => live.touch('confirming'));
            return fired(fault, final);
          }),
        500,
      );
    },

    async watchRecovery(input, plan, latencyBoundMs) {
      const s = await session(input, plan);
      const ctx = Context.current();
      const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
      let lastSent = 0;
      const follow = followFault(journalOf(s), input.runId);
      const outcome = await withDrill(s, (st) =>
        watchRecovery(s.drill, s.env, st, plan, s.files, {
          fired: follow.current,
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
      ).finally(() => follow.stop());
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
      const live = liveness(STALL_MS.step);
      const s = await session(input, plan, live);
      if (!s.drill.remediate) return;
      if (s.files.firstMarker('remediated')) return;
      if (!s.files.firstMarker('remediation')) s.env.mark('remediation', 'runbook recovery action started');
      await live.run(() => s.drill.remediate!(s.env, fault));
      s.env.mark('remediated', 'runbook recovery action finished');
    },

    async verifyData(input, plan): Promise<VerifySummary> {
      const live = liveness(STALL_MS.step);
      const s = await session(input, plan, live);
      const entry = await journalOf(s).entry(input.runId, FAULT_ENTRY);
      const t0 = entry!.t0!;
      try {
        const summary = await live.run(() =>
          withDrill(s, async (st) => {
            // The ledger first: its text and events are garbage before the read-back arrives, so
            // the two largest allocations of a drill are not held at the same time.
            const entries = foldLedger(parseLedgerLog((await s.streamLines('ledger')).join('\n')));
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
              ? await s.drill.recoveryPoint(s.env, st, entry!.detail!)
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

    async revertFault(input, plan) {
      const live = liveness(STALL_MS.revert, logFor(input));
      const s = await session(input, plan, live);
      const journal = journalOf(s);
      // The fault first (it was issued last), then the preparations, newest first. An entry still
      // `planned` issued nothing; one `reverted` is done: a retry repeats only what is left.
      const entries = (await journal.entries(input.runId)).filter(
        (e) => e.detail && UNDONE_STATES.includes(e.state),
      );
      const order = [
        ...entries.filter((e) => e.kind === 'fault'),
        ...entries.filter((e) => e.kind === 'preparation').reverse(),
      ];
      for (const e of order) {
        await journal.update(input.runId, e.entry, { state: 'reverting', revertAttempt: true });
        try {
          await live.run(() => s.drill.revert(s.env, e.detail!));
        } catch (err) {
          const reason = `revert of "${e.detail!.description}" failed: ${(err as Error)?.message ?? err}`;
          await journal.update(input.runId, e.entry, { reason: reason.slice(0, 500) }).catch(() => {});
          s.env.log.warn({ entry: e.entry, reason }, 'revert failed; it is retried');
          throw err;
        }
        await journal.update(input.runId, e.entry, { state: 'reverted', reason: null });
        s.env.mark('reverted', `compensation: ${e.detail!.description} undone`);
        s.env.log.info({ fault: e.detail!.description, entry: e.entry }, 'fault reverted');
      }
    },

    async markFaultLeft(input, plan, reason) {
      const s = await session(input, plan);
      const journal = journalOf(s);
      const left: JournalEntry[] = [];
      for (const e of await journal.entries(input.runId))
        if (e.detail && UNDONE_STATES.includes(e.state))
          left.push(await journal.update(input.runId, e.entry, { state: 'left', reason }));
      s.env.mark('fault-left', reason);
      logFor(input).error(
        { left: left.map((e) => ({ id: e.id, fault: e.detail?.description, touched: e.detail?.touched })) },
        'the compensation gave up: the fault is left in place',
      );
      return left.map((e) => ({
        id: e.id,
        description: e.detail?.description ?? e.entry,
        touched: e.detail?.touched ?? [],
      }));
    },

    async releaseTarget(input, plan) {
      const s = await session(input, plan);
      const journal = journalOf(s);
      // Never while anything of the run is not known to be reverted: the lock is what keeps the
      // next drill (and Sandbox.ensure) off a target that is still broken.
      const open = (await journal.entries(input.runId)).filter(
        (e) => e.detail && UNDONE_STATES.includes(e.state),
      );
      if (open.length) return false;
      await journal.releaseLock(s.owner.target, input.runId);
      return true;
    },

    async recordResult(input, plan, outcome: RecordInput) {
      const s = await session(input, plan);
      const startedAt =
        s.files.readJson<{ at: number }>('started.json')?.at ?? outcome.startedAt ?? Date.now();
      const config = await withDrill(s, (st) => s.drill.config(s.env, st)).catch((err: Error) => ({
        error: `configuration snapshot failed: ${err.message}`,
      }));
      let versions: Record<string, string> = {};
      try {
        versions = s.env.platform.versions();
      } catch {
        /* platform gone: versions unknown */
      }
      // T0 as the journal has it, whichever worker fired (the workflow may not know it: a step
      // that failed after firing answered nothing).
      const entry = await journalOf(s).entry(input.runId, FAULT_ENTRY);
      const journaled =
        entry?.t0 != null && entry.state !== 'planned' && !s.files.firstMarker('T0')
          ? [
              { marker: 'T0', at: entry.t0, note: entry.detail?.description },
              ...(entry.t0Done !== null ? [{ marker: 'T0_done', at: entry.t0Done }] : []),
            ]
          : [];
      // Every worker's evidence of the run, into this worker's folder before it is recorded: the
      // record's ledger digest, the report and an export read the folder.
      const ledgerLines = await s.streamLines('ledger');
      const canaryLines = await s.streamLines('canary');
      if (deps.evidence) {
        s.files.replaceLines('ledger.jsonl', ledgerLines);
        s.files.replaceLines('canary.jsonl', canaryLines);
        s.files.replaceLines('markers.jsonl', await s.streamLines('markers'));
      }
      const canaries = parseJsonLines<CanarySample>(canaryLines);
      const result = composeResult({
        runId: input.runId,
        platform: input.platform.kind,
        plan,
        files: s.files,

        outcome: { ...outcome, markers: [...(outcome.markers ?? []), ...journaled] },
        config,
        versions,
        startedAt,
      });
      s.files.writeJson('result.json', result);
      const store = await ResultStore.connect(deps.databaseUrl(input));
      try {
        await store.saveRun(result, canaries, outcome.workflowId);
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
