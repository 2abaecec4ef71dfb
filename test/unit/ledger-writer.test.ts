// The ledger writer against an in-memory system: batching must keep one invoke and one outcome per
// record, never split a batch's acknowledgement, and classify a refused batch as the drill says.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillDefinition, DrillEnv, LedgerRecord } from '../../src/drill/definition.ts';
import type { DrillPlan } from '../../src/drill/validate.ts';
import { runLedgerWriter } from '../../src/engine/ledger-writer.ts';

interface Event {
  e: string;
  id: number;
  t: number;
  key?: string;
  position?: string;
}

const env = { runId: 'unit-ledger' } as DrillEnv;
const plan = (p: Partial<DrillPlan>) =>
  ({ ledgerConcurrency: 2, ledgerBatch: 1, ledgerMaxRate: 0, ...p }) as DrillPlan;
const events = (file: string): Event[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event);

/** A system that stores what it acknowledges and can be told to refuse. */
function memorySystem(opts: { refuseAfter?: number; definite?: boolean } = {}) {
  const stored = new Map<string, number>();
  const calls: number[] = [];
  const accept = async (records: LedgerRecord[]) => {
    await new Promise((r) => setTimeout(r, 1));
    calls.push(records.length);
    if (opts.refuseAfter !== undefined && stored.size >= opts.refuseAfter) throw new Error('refused');
    records.forEach((r) => stored.set(r.key, r.id));
    return records.map((r) => ({ position: `p${r.id}` }));
  };
  const drill = {
    write: async (_e: DrillEnv, _s: unknown, r: LedgerRecord) => (await accept([r]))[0]!,
    writeBatch: async (_e: DrillEnv, _s: unknown, rs: LedgerRecord[]) => accept(rs),
    isDefiniteFailure: () => opts.definite ?? true,
  } as unknown as DrillDefinition<unknown>;
  return { drill, stored, calls };
}

async function runFor(ms: number, drill: DrillDefinition<unknown>, p: DrillPlan, maxRate?: number) {
  const file = join(mkdtempSync(join(tmpdir(), 'fd-ledger-')), 'ledger.jsonl');
  const stop = new AbortController();
  setTimeout(() => stop.abort(), ms);
  const stats = await runLedgerWriter(drill, env, undefined, p, file, { signal: stop.signal, maxRate });
  return { stats, log: events(file) };
}

describe('ledger writer', () => {
  it('batches: every record has one invoke and one ack, at the batch acknowledgement time', async () => {
    const sys = memorySystem();
    const { stats, log } = await runFor(200, sys.drill, plan({ ledgerBatch: 16 }));
    const invokes = log.filter((e) => e.e === 'invoke');
    const acks = log.filter((e) => e.e === 'ack');
    expect(stats.acked).toBe(acks.length);
    expect(acks.length).toBe(sys.stored.size);
    expect(Math.max(...sys.calls)).toBe(16); // unpaced: full batches
    expect(sys.calls.length).toBeLessThan(acks.length);
    expect(stats.ackedCalls).toBe(sys.calls.length); // every call acknowledged, a batch counted once
    // Ids are one gap-free sequence shared by both writers, each invoked before its ack.
    const ids = invokes.map((e) => e.id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    for (const a of acks) {
      const inv = invokes.find((e) => e.id === a.id)!;
      expect(a.t).toBeGreaterThanOrEqual(inv.t);
      expect(a.position).toBe(`p${a.id}`);
      expect(sys.stored.get(inv.key!)).toBe(a.id);
    }
  });

  it('without batching writes one record per call', async () => {
    const sys = memorySystem();
    const { stats } = await runFor(100, sys.drill, plan({ ledgerBatch: 1 }));
    expect(stats.acked).toBeGreaterThan(0);
    expect(new Set(sys.calls)).toEqual(new Set([1]));
  });

  it('a refused batch fails every record of it; an unclear one leaves them unknown', async () => {
    for (const definite of [true, false]) {
      const sys = memorySystem({ refuseAfter: 40, definite });
      const { stats, log } = await runFor(150, sys.drill, plan({ ledgerBatch: 8, ledgerConcurrency: 1 }));
      expect(stats.acked).toBe(40);
      const outcome = definite ? 'fail' : 'unknown';
      expect(log.filter((e) => e.e === outcome).length).toBe(stats.invoked - 40);
      expect(stats.invoked - 40).toBeGreaterThan(0);
    }
  });

  it('paced: batches only records already due, so the rate holds', async () => {
    const sys = memorySystem();
    const { stats } = await runFor(500, sys.drill, plan({ ledgerBatch: 50 }), 200);
    // 200/s for 0.5 s ≈ 100 records (+1 for the one due at the start).
    expect(stats.invoked).toBeGreaterThanOrEqual(80);
    expect(stats.invoked).toBeLessThanOrEqual(102);
    expect(Math.max(...sys.calls)).toBeLessThan(50);
  });
});
