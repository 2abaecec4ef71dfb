// The verdict of one drill run (measurement spec, "Verdicts"). Pure.
import type { LedgerClassification, RecoveryFigures, Targets, Verdict } from './types.ts';

export interface VerdictInput {
  /** Steady state never held, or an operator aborted. Wins over everything, even after injection. */
  abortedReason?: string;
  /** The fault command was (or may have been) issued. */
  injected: boolean;
  /** The fault was injected but the measurement is incomplete (e.g. the canary watch failed). */
  inconclusiveReason?: string;
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
 * ABORTED when aborted (or never injected); INCONCLUSIVE when injected but the measurement is
 * incomplete; BREACHED when any target is missed (every missed target is listed in the reason);
 * MET otherwise. `reason` is set for every verdict but MET.
 *
 * A definitively missed RTO (not recovered by the deadline, or recovered too late) is BREACHED even
 * when the ledger could not be read back, as the spec requires for a drill that did not recover
 * by its deadline; without an RTO miss, a missing ledger makes the run INCONCLUSIVE. When the
 * target RPO is null the RPO is reported, never judged.
 */
export function decideVerdict(input: VerdictInput): { verdict: Verdict; reason?: string } {
  const { targets, recovery, ledger } = input;
  if (input.abortedReason) return { verdict: 'ABORTED', reason: input.abortedReason };
  if (!input.injected)
    return { verdict: 'ABORTED', reason: 'the fault was never injected; nothing is scored' };
  if (input.inconclusiveReason) return { verdict: 'INCONCLUSIVE', reason: input.inconclusiveReason };

  const misses: string[] = [];
  if (recovery.serviceAt === undefined || recovery.serviceMs === undefined) {
    misses.push(
      `not recovered within the deadline of ${formatMs(input.deadlineMs)} (RTO target ${formatMs(targets.rtoMs)})`,
    );
  } else if (recovery.serviceMs > targets.rtoMs) {
    misses.push(`RTO ${formatMs(recovery.serviceMs)} exceeds target ${formatMs(targets.rtoMs)}`);
  }

  if (ledger === null) {
    const note = 'the ledger could not be read back, so the RPO was not measured';
    return misses.length
      ? { verdict: 'BREACHED', reason: `${misses.join('; ')}; ${note}` }
      : { verdict: 'INCONCLUSIVE', reason: note };
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

  if (misses.length === 0) return { verdict: 'MET' };
  if (ledger.nonPrefix)
    misses.push('non-prefix loss: a lost write was acknowledged before one that survived');
  return { verdict: 'BREACHED', reason: misses.join('; ') };
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
