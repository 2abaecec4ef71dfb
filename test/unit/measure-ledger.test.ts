import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyLedger,
  foldLedger,
  LedgerLogError,
  parseLedgerLog,
  parseLedgerLogDetailed,
  type LedgerEvent,
} from '../../src/measure/ledger.ts';
import type { LedgerEntry, LedgerOutcome, ReadBackRecord } from '../../src/measure/types.ts';

const sha = (id: number) => `sha-${id}`;
const entry = (id: number, outcome: LedgerOutcome = 'ok', tAck = id * 1000): LedgerEntry => ({
  id,
  key: `k${id}`,
  sha256: sha(id),
  tInvoke: tAck - 10,
  outcome,
  ...(outcome === 'ok' ? { tAck } : {}),
});
const intact = (e: LedgerEntry): ReadBackRecord => ({ key: e.key, sha256: e.sha256 });
const T0 = 10_000;

describe('classifyLedger: hand-checked', () => {
  const six = [1, 2, 3, 4, 5, 6].map((id) => entry(id));

  it('non-prefix loss: a lost write older than ones that survived', () => {
    const c = classifyLedger(six, six.filter((e) => e.id !== 3).map(intact), T0);
    expect(c).toMatchObject({ acked: 6, lost: 1, lostIds: [3], corrupted: 0, seconds: 7, nonPrefix: true });
  });

  it('suffix loss: the newest writes lost is a recovery point, not a consistency bug', () => {
    const c = classifyLedger(six, six.filter((e) => e.id < 5).map(intact), T0);
    expect(c).toMatchObject({ lost: 2, lostIds: [5, 6], seconds: 5, nonPrefix: false });
  });

  it('nothing lost: RPO 0 s', () => {
    const c = classifyLedger(six, six.map(intact), T0);
    expect(c).toEqual({
      acked: 6,
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
    });
  });

  it('unknown outcome but present is recovered, never lost; unknown and absent is neither', () => {
    const entries = [entry(1), entry(2, 'unknown'), entry(3, 'unknown')];
    const c = classifyLedger(entries, [intact(entries[0]!), intact(entries[1]!)], T0);
    expect(c).toMatchObject({ acked: 1, unknown: 2, recovered: 1, lost: 0, seconds: 0, unexpected: 0 });
  });

  it('corrupted: present with a different payload hash counts toward the RPO', () => {
    const c = classifyLedger(
      six,
      six.map((e) => (e.id === 2 ? { key: e.key, sha256: 'bad' } : intact(e))),
      T0,
    );
    expect(c).toMatchObject({ lost: 0, corrupted: 1, corruptedIds: [2], seconds: 8, nonPrefix: true });
  });

  it('several copies: corrupted only when no copy matches; extra copies are duplicates only when exactly-once', () => {
    const es = [entry(1), entry(2)];
    const back = [
      { key: 'k1', sha256: 'bad' }, // the intact copy is not the first one found
      intact(es[0]!),
      { key: 'k2', sha256: 'x' },
      { key: 'k2', sha256: 'y' },
    ];
    const atLeastOnce = classifyLedger(es, back, T0);
    expect(atLeastOnce).toMatchObject({ corrupted: 1, corruptedIds: [2], duplicated: 0 });
    const exactlyOnce = classifyLedger(es, back, T0, { exactlyOnce: true });
    expect(exactlyOnce).toMatchObject({ corrupted: 1, duplicated: 2 });
    expect(classifyLedger(es, es.map(intact), T0, { exactlyOnce: true }).duplicated).toBe(0);
  });

  it('unexpected: keys never written count per record; a definitely rejected write that exists is unexpected', () => {
    const es = [entry(1), entry(2, 'fail'), entry(3, 'fail')];
    const back = [
      intact(es[0]!),
      { key: 'ghost', sha256: 'g' },
      { key: 'ghost', sha256: 'g' },
      intact(es[1]!),
    ];
    const c = classifyLedger(es, back, T0, { exactlyOnce: true });
    expect(c).toMatchObject({ acked: 1, failed: 2, unexpected: 3, duplicated: 0, lost: 0, recovered: 0 });
  });

  it('a write acked after T0 and lost gives RPO 0 s but still counts as lost', () => {
    const es = [entry(1), entry(12)];
    const c = classifyLedger(es, [intact(es[0]!)], T0);
    expect(c).toMatchObject({ lost: 1, seconds: 0, nonPrefix: false });
  });

  it('ties in ack time are not a non-prefix loss', () => {
    const es = [entry(1, 'ok', 5000), entry(2, 'ok', 5000)];
    expect(classifyLedger(es, [intact(es[1]!)], T0).nonPrefix).toBe(false);
    expect(classifyLedger(es, [intact(es[0]!)], T0).nonPrefix).toBe(false);
  });

  it('ack order, not id order, decides non-prefix', () => {
    const es = [entry(1, 'ok', 3000), entry(2, 'ok', 2000)]; // id 2 acked first
    expect(classifyLedger(es, [intact(es[0]!)], T0)).toMatchObject({ nonPrefix: true, seconds: 8 });
    expect(classifyLedger(es, [intact(es[1]!)], T0)).toMatchObject({ nonPrefix: false, seconds: 7 });
  });
});

describe('foldLedger', () => {
  it('folds invoke and outcome lines into entries sorted by id', () => {
    const events: LedgerEvent[] = [
      { e: 'invoke', id: 2, key: 'b', sha256: 'hb', t: 20 },
      { e: 'invoke', id: 1, key: 'a', sha256: 'ha', t: 10 },
      { e: 'invoke', id: 3, key: 'c', sha256: 'hc', t: 30 },
      { e: 'invoke', id: 4, key: 'd', sha256: 'hd', t: 40 },
      { e: 'ack', id: 1, t: 15, position: 'p0@7' },
      { e: 'fail', id: 2, t: 25, error: 'NOT_ENOUGH_REPLICAS' },
      { e: 'unknown', id: 3, t: 35, error: 'timeout' },
      { e: 'ack', id: 99, t: 50 }, // orphan: ignored
    ];
    expect(foldLedger(events)).toEqual([
      { id: 1, key: 'a', sha256: 'ha', tInvoke: 10, tAck: 15, outcome: 'ok', position: 'p0@7' },
      { id: 2, key: 'b', sha256: 'hb', tInvoke: 20, outcome: 'fail', error: 'NOT_ENOUGH_REPLICAS' },
      { id: 3, key: 'c', sha256: 'hc', tInvoke: 30, outcome: 'unknown', error: 'timeout' },
      { id: 4, key: 'd', sha256: 'hd', tInvoke: 40, outcome: 'unknown' }, // writer died after sending
    ]);
  });

  it('with several outcome lines the strongest claim wins: ack > unknown > fail', () => {
    const inv = (id: number): LedgerEvent => ({ e: 'invoke', id, key: `k${id}`, sha256: 'h', t: 0 });
    const folded = foldLedger([
      inv(1),
      inv(2),
      { e: 'unknown', id: 1, t: 5, error: 'timeout' },
      { e: 'ack', id: 1, t: 9 },
      { e: 'unknown', id: 2, t: 5 },
      { e: 'fail', id: 2, t: 6 },
      { e: 'ack', id: 1, t: 12 },
    ]);
    expect(folded.map((e) => [e.outcome, e.tAck, e.error])).toEqual([
      ['ok', 9, undefined],
      ['unknown', undefined, undefined],
    ]);
  });
});

describe('parseLedgerLog', () => {
  const lines = [
    '{"e":"invoke","id":1,"key":"k1","sha256":"aa","t":100}',
    '{"e":"ack","id":1,"t":120,"position":"0:5"}',
    '{"e":"invoke","id":2,"key":"k2","sha256":"bb","t":130}',
  ];

  it('parses complete lines', () => {
    expect(parseLedgerLog(lines.join('\n') + '\n')).toEqual([
      { e: 'invoke', id: 1, key: 'k1', sha256: 'aa', t: 100 },
      { e: 'ack', id: 1, t: 120, position: '0:5' },
      { e: 'invoke', id: 2, key: 'k2', sha256: 'bb', t: 130 },
    ]);
    expect(parseLedgerLog('')).toEqual([]);
    expect(parseLedgerLog('\n\n' + lines[0] + '\n\n')).toHaveLength(1);
  });

  it('tolerates a torn last line (writer killed mid-write) and says so', () => {
    const text = lines.join('\n') + '\n{"e":"ack","id":2,"t":1';
    const { events, truncatedTail } = parseLedgerLogDetailed(text);
    expect(events).toHaveLength(3);
    expect(truncatedTail).toBe('{"e":"ack","id":2,"t":1');
    // the torn ack leaves record 2 unknown: cautious, never counted as loss
    expect(foldLedger(events)[1]!.outcome).toBe('unknown');
    expect(parseLedgerLogDetailed(lines.join('\n') + '\n').truncatedTail).toBeNull();
  });

  it('refuses a bad line anywhere else', () => {
    expect(() => parseLedgerLog(`${lines[0]}\n{"e":"ack","id":1,\n${lines[2]}\n`)).toThrow(LedgerLogError);
    expect(() => parseLedgerLog(`${lines[0]}\n{"e":"ack","id":1,\n`)).toThrow(/line 2/);
    expect(() => parseLedgerLog(`{"e":"nope","id":1,"t":1}\n${lines[0]}`)).toThrow(/unknown event/);
    expect(() => parseLedgerLog(`{"e":"invoke","id":1,"t":1}\n${lines[0]}`)).toThrow(/key and sha256/);
    expect(() => parseLedgerLog(`{"e":"ack","id":"1","t":1}\n${lines[0]}`)).toThrow(/id/);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over generated histories

interface Gen {
  outcome: LedgerOutcome;
  latency: number;
  gap: number;
  dropped: boolean;
  unknownLanded: boolean;
}
const genRecord = fc.record<Gen>({
  outcome: fc.constantFrom<LedgerOutcome>('ok', 'ok', 'ok', 'unknown', 'fail'),
  latency: fc.integer({ min: 1, max: 400 }),
  gap: fc.integer({ min: 0, max: 100 }),
  dropped: fc.boolean(),
  unknownLanded: fc.boolean(),
});

/** A writer's history: invokes in id order, acks after a random latency (so ack order ≠ id order). */
function history(gens: Gen[]): { events: LedgerEvent[]; entries: LedgerEntry[] } {
  const events: LedgerEvent[] = [];
  let t = 1_000_000;
  gens.forEach((g, i) => {
    const id = i + 1;
    t += g.gap;
    events.push({ e: 'invoke', id, key: `key-${id}`, sha256: `h${id}`, t });
    const done = t + g.latency;
    if (g.outcome === 'ok') events.push({ e: 'ack', id, t: done, position: String(i) });
    else if (g.outcome === 'fail') events.push({ e: 'fail', id, t: done, error: 'refused' });
    else if (i % 2 === 0) events.push({ e: 'unknown', id, t: done, error: 'timeout' }); // odd: writer died
  });
  events.sort((a, b) => a.t - b.t); // the log is written in time order
  return { events, entries: foldLedger(events) };
}

function shuffle<T>(xs: T[], keys: number[]): T[] {
  return xs
    .map((x, i) => ({ x, k: keys[i % Math.max(1, keys.length)] ?? 0 }))
    .sort((a, b) => a.k - b.k)
    .map(({ x }) => x);
}

describe('classifyLedger: properties', () => {
  it('lost = dropped acked writes, seconds = age of the oldest one at T0, nonPrefix iff one is older than a survivor acknowledged before T0', () => {
    fc.assert(
      fc.property(
        fc.array(genRecord, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 8_000 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
        (gens, t0Offset, keys) => {
          const { events, entries } = history(gens);
          const t0 = 1_000_000 + t0Offset;
          const back: ReadBackRecord[] = [];
          gens.forEach((g, i) => {
            const present = g.outcome === 'ok' ? !g.dropped : g.outcome === 'unknown' && g.unknownLanded;
            if (present) back.push({ key: `key-${i + 1}`, sha256: `h${i + 1}` });
          });
          const c = classifyLedger(entries, shuffle(back, keys), t0);

          const ackOf = new Map(events.filter((e) => e.e === 'ack').map((e) => [e.id, e.t]));
          const invokeOf = new Map(events.filter((e) => e.e === 'invoke').map((e) => [e.id, e.t]));
          const ok = gens
            .map((g, i) => ({ g, id: i + 1, tAck: ackOf.get(i + 1)! }))
            .filter((r) => r.g.outcome === 'ok');
          const dropped = ok.filter((r) => r.g.dropped);
          const survived = ok.filter((r) => !r.g.dropped);

          expect(c.acked).toBe(ok.length);
          expect(c.lost).toBe(dropped.length);
          expect(c.lostIds).toEqual(dropped.map((r) => r.id));
          expect(c.corrupted).toBe(0);
          expect(c.unexpected).toBe(0);
          expect(c.failed).toBe(gens.filter((g) => g.outcome === 'fail').length);
          expect(c.unknown).toBe(gens.filter((g) => g.outcome === 'unknown').length);
          expect(c.recovered).toBe(gens.filter((g) => g.outcome === 'unknown' && g.unknownLanded).length);
          const oldest = Math.min(...dropped.map((r) => r.tAck));
          expect(c.seconds).toBe(dropped.length === 0 ? 0 : Math.max(0, t0 - oldest) / 1000);
          expect(c.nonPrefix).toBe(
            dropped.some((d) => survived.some((s) => d.tAck < invokeOf.get(s.id)! && s.tAck <= t0)),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  it('calibration: dropping acked writes i..j through the JSONL log loses exactly j−i+1, non-prefix unless a suffix', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 80 })
          .chain((n) =>
            fc
              .tuple(fc.constant(n), fc.integer({ min: 1, max: n }))
              .chain(([n, i]) => fc.tuple(fc.constant(n), fc.constant(i), fc.integer({ min: i, max: n }))),
          ),
        fc.integer({ min: 0, max: 5_000 }),
        ([n, i, j], afterLast) => {
          const lines: string[] = [];
          for (let id = 1; id <= n; id++) {
            lines.push(JSON.stringify({ e: 'invoke', id, key: `r${id}`, sha256: `s${id}`, t: id * 100 }));
            lines.push(JSON.stringify({ e: 'ack', id, t: id * 100 + 50, position: `${id}` }));
          }
          const t0 = n * 100 + 50 + afterLast;
          const entries = foldLedger(parseLedgerLog(lines.join('\n') + '\n'));
          const back = entries
            .filter((e) => e.id < i || e.id > j)
            .map((e) => ({ key: e.key, sha256: e.sha256 }));
          const c = classifyLedger(entries, back, t0);
          expect(c.lost).toBe(j - i + 1);
          expect(c.lostIds).toEqual(Array.from({ length: j - i + 1 }, (_, x) => i + x));
          expect(c.seconds).toBe((t0 - (i * 100 + 50)) / 1000);
          expect(c.nonPrefix).toBe(j < n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a log cut at any byte parses to a prefix of its events', () => {
    fc.assert(
      fc.property(
        fc.array(genRecord, { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (gens, frac) => {
          const { events } = history(gens);
          const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
          const cut = text.slice(0, Math.floor(text.length * frac));
          const parsed = parseLedgerLog(cut);
          const complete = cut.split('\n').length - 1;
          expect(parsed).toEqual(events.slice(0, parsed.length));
          expect([complete, complete + 1]).toContain(parsed.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('classifyLedger: writes after the fault', () => {
  it('a lost suffix stays a prefix loss even though writes acknowledged after T0 survive', () => {
    const T0 = 10_000;
    const e = (id: number, tAck: number): LedgerEntry => ({
      id,
      key: `k${id}`,
      sha256: `h${id}`,
      tInvoke: tAck - 1,
      tAck,
      outcome: 'ok',
    });
    const entries = [e(1, 9_000), e(2, 9_500), e(3, 9_900), e(4, 12_000)];
    const back = [entries[0]!, entries[3]!].map((x) => ({ key: x.key, sha256: x.sha256 }));
    expect(classifyLedger(entries, back, T0)).toMatchObject({
      lost: 2,
      lostIds: [2, 3],
      nonPrefix: false,
      seconds: 0.5,
    });
    // …but a survivor acknowledged before T0 and after a lost write makes it non-prefix.
    const back2 = [entries[0]!, entries[2]!, entries[3]!].map((x) => ({ key: x.key, sha256: x.sha256 }));
    expect(classifyLedger(entries, back2, T0)).toMatchObject({ lost: 1, lostIds: [2], nonPrefix: true });
  });
});

describe('classifyLedger: concurrent writers', () => {
  const T0 = 10_000;
  const e = (id: number, tInvoke: number, tAck: number): LedgerEntry => ({
    id,
    key: `k${id}`,
    sha256: `h${id}`,
    tInvoke,
    tAck,
    outcome: 'ok',
  });
  it('writes in flight together may be acknowledged in either order: losing one is not non-prefix', () => {
    const entries = [e(1, 100, 104), e(2, 102, 106)];
    expect(classifyLedger(entries, [{ key: 'k2', sha256: 'h2' }], T0)).toMatchObject({
      lost: 1,
      nonPrefix: false,
    });
  });
  it('a write sent after another was acknowledged must not outlive it', () => {
    const entries = [e(1, 100, 104), e(2, 105, 106)];
    expect(classifyLedger(entries, [{ key: 'k2', sha256: 'h2' }], T0)).toMatchObject({
      lost: 1,
      nonPrefix: true,
    });
  });
});
