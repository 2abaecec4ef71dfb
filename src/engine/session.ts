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
import { FAULT_ENTRY, type EntryOwner, type FaultJournal } from '../results/journal.ts';
import { targetKey } from '../../workflows/names.ts';
import { runEvidence } from './evidence.ts';
import {
  mergeLines,
  STREAM_FILES,
  streamOfFile,
  type EvidenceStream,
  type SharedEvidence,
} from './shared-evidence.ts';
import { RunFiles } from './run-files.ts';

export interface Session<S = unknown> {
  drill: DrillDefinition<S>;
  env: DrillEnv;
  files: RunFiles;
  /** A stream of the run as every worker wrote it (this worker's folder alone without sharing). */
  streamLines(stream: EvidenceStream): Promise<string[]>;
  /** Absent in a session that can never fire (a bench of write throughput). */
  journal?: FaultJournal;
  /** Who the run's journal entries belong to. */
  owner: EntryOwner;
}

export interface SessionDeps {
  /** The shared record of what the run did to the system; without one, fire() refuses. */
  journal?: FaultJournal;
  workflowId?: string | null;
  /** Told of real progress (a mark, a platform call settling): what keeps a step's heartbeat alive. */
  progress?: (what: string) => void;
  /** Shares the run's evidence lines with every worker (absent: this worker's folder is all). */
  evidence?: SharedEvidence;
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
  plan: Pick<DrillPlan, 'variant' | 'options' | 'target'>,
  log: pino.Logger,
  signal: AbortSignal = new AbortController().signal,
  deps: SessionDeps = {},
): Promise<Session> {
  const drill = await getDrill(input.drill);
  await loadPlatformDriver(input.platform);
  const shared = deps.evidence;
  const files = RunFiles.for(
    input.reportsDir,
    input.runId,
    shared &&
      ((file, line) => {
        const stream = streamOfFile(file);
        if (stream) shared.append(input.runId, stream, line);
      }),
  );
  const streamLines = async (stream: EvidenceStream) => {
    const local = files.lines(STREAM_FILES[stream]);
    if (!shared) return local;
    await shared.flush(input.runId);
    return mergeLines(await shared.lines(input.runId, stream), local);
  };
  const { journal } = deps;
  const progress = deps.progress ?? (() => {});
  const owner: EntryOwner = {
    runId: input.runId,
    target: targetKey(input.platform, plan.target),
    workflowId: deps.workflowId ?? null,
    drill: drill.name,
    variant: plan.variant,
    input: { input, plan },
  };
  const needJournal = (what: string) => {
    if (!journal) throw new Error(`${what} needs the fault journal, and this session has none`);
    return journal;
  };
  // The activity's cancellation (its reason reports the step as cancelled, not failed).
  const refuseIfAborted = (what: string) => {
    if (signal.aborted) throw signal.reason ?? new Error(`aborted before ${what}: nothing done`);
  };
  const env: DrillEnv = {
    runId: input.runId,
    variant: plan.variant,
    options: drillOptions(drill.name, drill.options, plan.options),
    platform: withProgress(platformFor(input.platform), progress),
    evidence: runEvidence(files),
    log,
    mark: (marker, note, at) => {
      files.mark(marker, at ?? Date.now(), note);
      progress(`marker ${marker}`);
    },
    signal,
    fire: async (fault: Fault, command) => {
      const j = needJournal('fire()');
      // The journal, not this worker's disk, says whether it was fired: a retry on another
      // machine finds the entry and never issues the command twice.
      const entry = await j.begin(owner, FAULT_ENTRY, 'fault');
      if (entry.state !== 'planned') throw new Error('the fault was already fired for this run');
      refuseIfAborted('the fault was fired');
      files.writeJson('fault.json', { ...fault, pending: true });
      // Written before the command: a worker that dies inside it leaves `firing` and an instant
      // at most one write early, which the watch and the revert on any worker find.
      await j.update(input.runId, FAULT_ENTRY, { state: 'firing', detail: fault, t0: Date.now() });
      const t0 = Date.now();
      files.mark('T0', t0, fault.description);
      await command(t0);
      const done = Date.now();
      files.mark('T0_done', done);
      files.writeJson('fault.json', fault);
      await j.update(input.runId, FAULT_ENTRY, { state: 'fired', detail: fault, t0, t0Done: done });
      progress('fault fired');
    },
    prepare: async (effect: Fault, command) => {
      const j = needJournal('prepare()');
      refuseIfAborted('the preparation');
      const n = (await j.entries(input.runId)).filter((e) => e.kind === 'preparation').length + 1;
      const name = `prepare-${n}`;
      await j.begin(owner, name, 'preparation');
      await j.update(input.runId, name, { state: 'firing', detail: { ...effect, preparation: name } });
      files.mark('prepared', Date.now(), effect.description);
      await command();
      await j.update(input.runId, name, { state: 'fired' });
      progress(`preparation ${name}`);
    },
  };
  return { drill, env, files, journal, owner, streamLines };
}

/**
 * The platform, telling `progress` whenever one of its calls settles: a revert that keeps making
 * calls is alive, one stuck inside a call is not.
 */
function withProgress<P extends object>(platform: P, progress: (what: string) => void): P {
  return new Proxy(platform, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (out instanceof Promise) return out.finally(() => progress(`platform.${String(key)} settled`));
        progress(`platform.${String(key)}`);
        return out;
      };
    },
  });
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
