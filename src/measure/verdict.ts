// The verdict of one drill run (measurement spec, "Verdicts"). Pure.
import type { LedgerClassification, RecoveryFigures, Targets, Verdict } from './types.ts';

export interface VerdictInput {
  /** The compensation gave up: what is still broken. Wins over everything, abort included. */
  faultLeftReason?: string;
  /** Steady state never held, or an operator aborted. Wins over everything, even after injection. */
  abortedReason?: string;
  /** The fault command was (or may have been) issued. */
  injected: boolean;
  /** The fault was injected but the measurement is incomplete (e.g. the canary watch failed). */
  inconclusiveReason?: string;
  /**
   * The drill saw the fault take effect on the system itself (process or pod gone, leader changed,
   * file differs, writes refused…). Without it a fast "recovery" proves nothing.
   */
  faultConfirmed: boolean;
  /** Canaries that completed after T0: none means nothing was measured. */
  samplesAfterT0: number;
  targets: Targets;
  recovery: RecoveryFigures;
  /** null: the ledger could not be read back. */
  ledger: LedgerClassification | null;
  /** How long the drill waited for recovery before giving up (ms). */
  deadlineMs: number;
}

/** Milliseconds for people: 41200 → "41.2 s", 300000 → "5 min", 3723400 → "1 h 2 min 3.4 s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  if (ms < 0) return `-${formatMs(-ms)}`;
  if (ms < 1_000) return `${+ms.toFixed(3)} ms`;
  const rounded = Math.round(ms);
  const h = Math.floor(rounded / 3_600_000);
  const min = Math.floor((rounded % 3_600_000) / 60_000);
  const s = (rounded % 60_000) / 1_000;
  const parts: string[] = [];
  if (h) parts.push(`${h} h`);
  if (min) parts.push(`${min} min`);
  if (s || parts.length === 0) parts.push(`${+s.toFixed(3)} s`);
  return parts.join(' ');
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function lossPhrase(l: LedgerClassification): string {
  const parts: string[] = [];
  if (l.lost) parts.push(`${plural(l.lost, 'acknowledged write')} lost`);
  if (l.corrupted) parts.push(`${plural(l.corrupted, 'write')} corrupted`);
  return parts.join(' and ');
}

// seconds is a float derived from milliseconds; do not let rounding turn "equal" into "exceeds".
const EPSILON_MS = 1e-6;

/**
 * The measurement spec's verdicts (revised 2026-12-01), and FAULT-LEFT before them all. ABORTED when aborted (or never injected);
 * INCONCLUSIVE when injected but the measurement is incomplete: no canary after T0, the fault never
 * confirmed on the system, the ledger not read back, or not recovered by a deadline *shorter* than
 * the target RTO (the target was not missed yet); BREACHED when any target is missed (every miss is
 * listed), a non-prefix loss always; MET otherwise. `reason` is set for every verdict but MET.
 *
 * A definitively missed RTO is BREACHED even when the ledger could not be read back. When the
 * target RPO is null the RPO is reported, never judged (a non-prefix loss is still a breach).
 */
export function decideVerdict(input: VerdictInput): { verdict: Verdict; reason?: string } {
  const { targets, recovery, ledger } = input;
  if (input.faultLeftReason) return { verdict: 'FAULT-LEFT', reason: input.faultLeftReason };
  if (input.abortedReason) return { verdict: 'ABORTED', reason: input.abortedReason };
  if (!input.injected)
    return { verdict: 'ABORTED', reason: 'the fault was never injected; nothing is scored' };
  if (input.inconclusiveReason) return { verdict: 'INCONCLUSIVE', reason: input.inconclusiveReason };
  if (input.samplesAfterT0 === 0)
    return { verdict: 'INCONCLUSIVE', reason: 'no canary completed after T0: nothing was measured' };
  if (!input.faultConfirmed)
    return {
      verdict: 'INCONCLUSIVE',
      reason:
        'the fault was never confirmed on the system (the drill did not see it take effect): the recovery figures would prove nothing',
    };

  const misses: string[] = [];
  const unjudged: string[] = [];
  if (recovery.serviceAt === undefined || recovery.serviceMs === undefined) {
    if (input.deadlineMs < targets.rtoMs)
      unjudged.push(
        `not recovered within the ${formatMs(input.deadlineMs)} deadline; the ${formatMs(targets.rtoMs)} RTO target was not judged`,
      );
    else
      misses.push(
        `not recovered within the deadline of ${formatMs(input.deadlineMs)} (RTO target ${formatMs(targets.rtoMs)})`,
      );
  } else if (recovery.serviceMs > targets.rtoMs) {
    misses.push(`RTO ${formatMs(recovery.serviceMs)} exceeds target ${formatMs(targets.rtoMs)}`);
  }

  if (ledger === null) {
    const note = 'the ledger could not be read back, so the RPO was not measured';
    return misses.length
      ? { verdict: 'BREACHED', reason: [...misses, ...unjudged, note].join('; ') }
      : { verdict: 'INCONCLUSIVE', reason: [...unjudged, note].join('; ') };
  }

  if (targets.rpoMs !== null) {
    const bad = ledger.lost + ledger.corrupted;
    if (targets.rpoMs === 0) {
      if (bad > 0) misses.push(`${lossPhrase(ledger)} (RPO 0 promised)`);
    } else if (ledger.seconds * 1000 - targets.rpoMs > EPSILON_MS) {
      misses.push(
        `RPO ${formatMs(ledger.seconds * 1000)} exceeds target ${formatMs(targets.rpoMs)} (${lossPhrase(ledger)})`,
      );
    }
  }
  // Whatever the RPO target: what survived is not a point in time.
  if (ledger.nonPrefix)
    misses.push('non-prefix loss: a lost write was acknowledged before one that survived');

  if (misses.length) return { verdict: 'BREACHED', reason: [...misses, ...unjudged].join('; ') };
  if (unjudged.length) return { verdict: 'INCONCLUSIVE', reason: unjudged.join('; ') };
  return { verdict: 'MET' };
}

/**
 * A worker that died after marking T0 but before the fault command returned leaves the injection
 * unconfirmed (the retry never fires twice: marker `inject-resumed`). If no canary failed either,
 * the fault may never have been issued and a fast "recovery" would prove nothing: inconclusive.
 */
export function unconfirmedInjectionReason(
  markers: readonly { marker: string }[],
  detectAt: number | undefined,
): string | undefined {
  const seen = new Set(markers.map((m) => m.marker));
  if (!seen.has('inject-resumed') || seen.has('T0_done') || detectAt !== undefined) return undefined;
  return 'the worker died between T0 and the fault command returning, and no canary failed after it: the fault may never have been issued, so the recovery figures prove nothing';
}
