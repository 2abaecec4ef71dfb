// The acknowledged-write ledger (measurement spec, "The acknowledged-write ledger (RPO)"): the
// writer's write-ahead log, folded into one entry per record, then classified against what was
// read back after recovery. Pure.
import type { LedgerClassification, LedgerEntry, LedgerOutcome, ReadBackRecord } from './types.ts';

/** One line of the writer's JSONL write-ahead log. `t` is epoch ms. */
export type LedgerEvent =
  | { e: 'invoke'; id: number; key: string; sha256: string; t: number }
  | { e: 'ack'; id: number; t: number; position?: string }
  | { e: 'fail'; id: number; t: number; error?: string }
  | { e: 'unknown'; id: number; t: number; error?: string };

export class LedgerLogError extends Error {
  override name = 'LedgerLogError';
}

/** Why `value` is not a ledger event, or undefined when it is one. */
function whyNotEvent(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (!['invoke', 'ack', 'fail', 'unknown'].includes(v.e as string))
    return `unknown event ${JSON.stringify(v.e)}`;
  if (typeof v.id !== 'number' || !Number.isSafeInteger(v.id)) return 'id is not an integer';
  if (typeof v.t !== 'number' || !Number.isFinite(v.t)) return 't is not a number';
  if (v.e === 'invoke' && (typeof v.key !== 'string' || typeof v.sha256 !== 'string')) {
    return 'invoke without a string key and sha256';
  }
  if (v.position !== undefined && typeof v.position !== 'string') return 'position is not a string';
  if (v.error !== undefined && typeof v.error !== 'string') return 'error is not a string';
  return undefined;
}

/**
 * Parses the JSONL log, also saying whether a torn last line was dropped. Only the final line may
 * be torn, and only when no newline follows it (the writer was killed mid-write); a bad line
 * anywhere else is corruption and throws. Blank lines are ignored.
 */
export function parseLedgerLogDetailed(text: string): {
  events: LedgerEvent[];
  truncatedTail: string | null;
} {
  const lines = text.split('\n');
  const events: LedgerEvent[] = [];
  let truncatedTail: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let why: string | undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
      why = whyNotEvent(parsed);
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
    if (why === undefined) {
      events.push(parsed as LedgerEvent);
    } else if (i === lines.length - 1) {
      truncatedTail = lines[i]!; // no newline after it: a torn write
    } else {
      throw new LedgerLogError(`ledger log line ${i + 1}: ${why}: ${line.slice(0, 200)}`);
    }
  }
  return { events, truncatedTail };
}

/** Parses the writer's JSONL log, tolerating a torn last line (see `parseLedgerLogDetailed`). */
export function parseLedgerLog(text: string): LedgerEvent[] {
  return parseLedgerLogDetailed(text).events;
}

// When one id has several outcome lines, the strongest claim wins: an acknowledgement is a promise
// we hold the system to, and "unknown" is more cautious than "definitely rejected".
const STRENGTH: Record<LedgerOutcome, number> = { fail: 0, unknown: 1, ok: 2 };

/**
 * One entry per invoked record, sorted by id. An invoke without an outcome line is `unknown` (the
 * writer died after sending). `tAck` is the time of the (first) ack line. Outcome lines without an
 * invoke are ignored, and so are repeated invokes of an id (the first one counts).
 */
export function foldLedger(events: LedgerEvent[]): LedgerEntry[] {
  const byId = new Map<number, LedgerEntry>();
  for (const ev of events) {
    if (ev.e === 'invoke' && !byId.has(ev.id)) {
      byId.set(ev.id, { id: ev.id, key: ev.key, sha256: ev.sha256, tInvoke: ev.t, outcome: 'unknown' });
    }
  }
  const decided = new Set<number>();
  for (const ev of events) {
    if (ev.e === 'invoke') continue;
    const entry = byId.get(ev.id);
    if (!entry) continue;
    const outcome: LedgerOutcome = ev.e === 'ack' ? 'ok' : ev.e;
    if (decided.has(ev.id) && STRENGTH[outcome] <= STRENGTH[entry.outcome]) continue;
    decided.add(ev.id);
    entry.outcome = outcome;
    delete entry.error;
    if (ev.e === 'ack') {
      entry.tAck = ev.t;
      if (ev.position !== undefined) entry.position = ev.position;
    } else if (ev.error !== undefined) {
      entry.error = ev.error;
    }
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Nothing acknowledged, nothing lost: the classification before any record is counted. */
export function emptyClassification(): LedgerClassification {
  return {
    acked: 0,
    lost: 0,
    corrupted: 0,
    recovered: 0,
    unknown: 0,
    failed: 0,
    unexpected: 0,
    duplicated: 0,
    seconds: 0,
    nonPrefix: false,
    lostIds: [],
    corruptedIds: [],
  };
}

/**
 * Classifies the ledger against the records read back after recovery.
 *
 * - lost: outcome `ok`, no copy under its key.
 * - corrupted: a copy is present (any outcome but `fail`) and no copy's sha256 matches.
 * - recovered: outcome `unknown`, an intact copy present (never counted as loss).
 * - unexpected: read-back records that no possibly-successful write explains, counted per record:
 *   keys the writer never invoked, and keys whose only writes were definitely rejected (`fail`) —
 *   refused yet stored is a consistency anomaly, not a recovery.
 * - duplicated: only with `exactlyOnce`: the extra copies (copies − 1) of written keys.
 * - acked / unknown / failed: entries by outcome, present or not.
 * - seconds: the spec defines it over lost records; since RPO (count) = lost + corrupted, corrupted
 *   records count too: (T0 − the oldest tAck among them) / 1000, floored at 0 (a write acked after
 *   T0 and then lost does not make the figure negative). A corrupted `unknown` record has no ack;
 *   its tInvoke stands in.
 * - nonPrefix: an acked lost/corrupted record was acknowledged strictly before a record that survived
 *   intact was even *sent* (its tInvoke), that survivor itself acknowledged before the fault
 *   (tAck ≤ T0). Comparing with the survivor's send time, not its ack, keeps concurrent writers
 *   honest: commits flushed together may be acknowledged in either order, but a write sent after
 *   another was acknowledged must not outlive it.
 *   Writes acknowledged after T0 belong to the recovered system's new history: they always survive
 *   a lost suffix, so counting them would flag every recovery point as a consistency bug.
 *
 * Keys are assumed unique per write; an entry is judged by the copies found under its key.
 */
export function classifyLedger(
  entries: LedgerEntry[],
  readBack: ReadBackRecord[],
  t0: number,
  opts: { exactlyOnce?: boolean } = {},
): LedgerClassification {
  const copies = new Map<string, string[]>();
  for (const r of readBack) {
    const list = copies.get(r.key);
    if (list) list.push(r.sha256);
    else copies.set(r.key, [r.sha256]);
  }

  const c = emptyClassification();
  const explained = new Set<string>(); // keys some ok/unknown write accounts for
  let oldestBad = Infinity; // oldest tAck (or tInvoke) among lost ∪ corrupted
  let oldestBadAck = Infinity; // oldest tAck among acked lost ∪ corrupted
  let newestGoodInvoke = -Infinity; // latest tInvoke among intact survivors acknowledged by T0

  for (const entry of entries) {
    if (entry.outcome === 'ok') c.acked++;
    else if (entry.outcome === 'unknown') c.unknown++;
    else c.failed++;
    if (entry.outcome === 'fail') {
      continue;
    }
    explained.add(entry.key);
    const found = copies.get(entry.key);
    const tAck = entry.outcome === 'ok' ? (entry.tAck ?? entry.tInvoke) : undefined;
    if (!found) {
      if (entry.outcome === 'ok') {
        c.lost++;
        c.lostIds.push(entry.id);
        oldestBad = Math.min(oldestBad, tAck!);
        oldestBadAck = Math.min(oldestBadAck, tAck!);
      }
    } else if (!found.includes(entry.sha256)) {
      c.corrupted++;
      c.corruptedIds.push(entry.id);
      oldestBad = Math.min(oldestBad, tAck ?? entry.tInvoke);
      if (tAck !== undefined) oldestBadAck = Math.min(oldestBadAck, tAck);
    } else if (entry.outcome === 'unknown') {
      c.recovered++;
    } else {
      if (tAck! <= t0) newestGoodInvoke = Math.max(newestGoodInvoke, entry.tInvoke);
    }
  }

  for (const [key, list] of copies) {
    if (!explained.has(key)) c.unexpected += list.length;
    else if (opts.exactlyOnce) c.duplicated += list.length - 1;
  }

  c.lostIds.sort((a, b) => a - b);
  c.corruptedIds.sort((a, b) => a - b);
  if (c.lost + c.corrupted > 0) c.seconds = Math.max(0, t0 - oldestBad) / 1000;
  c.nonPrefix = oldestBadAck < newestGoodInvoke;
  return c;
}
