// Ctrl-C during `firedrill run` / `firedrill gameday`. The CLI's own worker is often the only one
// the drill has: dying with it would leave the fault in place and nobody to revert it. So the
// first SIGINT (or SIGTERM) asks the drill to abort — the workflow reverts and records ABORTED —
// and the CLI keeps its worker alive until the result is in. A second one stops waiting: it says
// what is still in place and how to finish the job, and exits 128 + the signal's number.
import type { DrillProgress } from '../../workflows/names.ts';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

/** 128 + the signal's number, as a shell reports a process the signal ended. */
export const EXIT_CODE: Record<InterruptSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export interface Interruptible {
  /** What is being stopped, for the first line ("drill calibration/outage"). */
  what: string;
  /** The first signal: ask the drill (or game day) to abort and revert. */
  abort(reason: string): Promise<void>;
  /** The second signal: what is still in place, one or two lines. */
  leftInPlace(): Promise<string>;
}

/** What the handlers need of the process: a seam for the unit test, `process` otherwise. */
export interface SignalSource {
  on(signal: InterruptSignal, listener: (signal: InterruptSignal) => void): unknown;
  off(signal: InterruptSignal, listener: (signal: InterruptSignal) => void): unknown;
  exit(code: number): void;
}

export interface InterruptHandle {
  /** Set once the first signal arrived: the run did not end by itself. */
  readonly interrupted: boolean;
  /** Removes the handlers: after this a signal does what it does by default again. */
  dispose(): void;
  /**
   * Resolves once no second-signal read of the drill's state is in flight (at most withinMs).
   * The caller awaits it before closing its Temporal connection: a query still retrying on a
   * closed channel throws from a timer and kills the process with a stack trace instead of the
   * message (seen when the drill ended between the two Ctrl-Cs).
   */
  idle(): Promise<void>;
}

/** How long the second signal waits for the drill's state before saying what it knows without it. */
export const LEFT_IN_PLACE_WITHIN_MS = 3_000;

export function onInterrupt(
  target: Interruptible,
  opts: { source?: SignalSource; say?: (line: string) => void; withinMs?: number } = {},
): InterruptHandle {
  const source: SignalSource = opts.source ?? process;
  const say = opts.say ?? ((line: string) => console.error(line));
  let count = 0;
  let reading: Promise<unknown> = Promise.resolve();
  const listener = (signal: InterruptSignal) => {
    count++;
    if (count === 1) {
      say(
        `\nfiredrill: ${signal}: aborting ${target.what} and reverting its fault; waiting for the revert and the record (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again stops waiting)`,
      );
      target.abort(`interrupted by the operator (${signal})`).catch((err: Error) => {
        say(`firedrill: the abort could not be sent: ${err.message}`);
      });
      return;
    }
    if (count === 2) {
      // A worker too busy to answer the query must not hold the operator: say what is known.
      const timeout = new Promise<string>((resolve) =>
        setTimeout(
          () => resolve('the drill did not answer in time: its state is unknown'),
          opts.withinMs ?? LEFT_IN_PLACE_WITHIN_MS,
        ).unref(),
      );
      reading = Promise.race([target.leftInPlace(), timeout])
        .catch((err: Error) => `the drill's state could not be read: ${err.message}`)
        .then((text) => {
          say(`\nfiredrill: stopped waiting. ${text}`);
          source.exit(EXIT_CODE[signal]);
        });
      return;
    }
    source.exit(EXIT_CODE[signal]); // a third one while the state is read: leave now
  };
  for (const s of INTERRUPT_SIGNALS) source.on(s, listener);
  return {
    get interrupted() {
      return count > 0;
    },
    dispose() {
      for (const s of INTERRUPT_SIGNALS) source.off(s, listener);
    },
    idle: () => reading.then(() => undefined),
  };
}

/** Phases after the compensation: the revert is done (unless it gave up). */
const PAST_THE_REVERT = new Set(['record', 'done']);
/** Phases before the injection step: nothing was touched yet. */
const BEFORE_INJECTION = new Set(['validate', 'preflight', 'steady-state', 'ledger']);

/**
 * One sentence about the run's fault from its progress: whether T0 was marked and the revert not
 * yet done. Pure, for the second Ctrl-C of `run` and `gameday`.
 */
export function faultState(p: DrillProgress | undefined): string {
  if (!p) return 'its state is unknown (the workflow did not answer)';
  const t0 = p.markers.find((m) => m.marker === 'T0');
  const where = `phase ${p.phase}`;
  if (p.faultLeft?.length)
    return `${where}: the revert gave up, still in place: ${p.faultLeft.map((f) => `${f.description} (firedrill faults revert ${f.id})`).join('; ')}`;
  if (PAST_THE_REVERT.has(p.phase)) return `${where}: the fault is reverted; only the record is left`;
  if (t0)
    return `${where}: the fault is in place since ${new Date(t0.at).toISOString()} (T0) and NOT reverted yet${p.phase === 'compensate' ? ' (the revert is under way)' : ''}`;
  if (BEFORE_INJECTION.has(p.phase)) return `${where}: nothing injected yet`;
  // The injection step, or the compensation of a run that never marked T0: a preparation (a
  // paused process) or a command that was being issued may be in place.
  return `${where}: no T0 marked, but the injection step ran: a preparation or the fault may be in place`;
}

/** The two lines the second Ctrl-C prints about one drill. */
export function leftInPlaceText(
  p: DrillProgress | undefined,
  run: { runId: string; drill: string; variant?: string; workflowId: string; sandbox?: string },
): string {
  const name = `${run.drill}${run.variant ? `/${run.variant}` : ''}`;
  const worker = run.sandbox
    ? `\`FIREDRILL_SANDBOX=${run.sandbox} npm run worker\``
    : 'a worker (`npm run worker`)';
  return [
    `run ${run.runId} (${name}), ${faultState(p)}.`,
    `its workflow ${run.workflowId} stays open in Temporal: start ${worker} and it finishes the revert and the record; \`firedrill faults\` lists every fault not known to be reverted.`,
  ].join('\n');
}
