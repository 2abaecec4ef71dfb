// Calibration (measurement spec): against a target that is unavailable for exactly D ms at T0 and
// silently drops acknowledged writes i..j, firedrill must report RTO within ±100 ms of D, exactly
// j − i + 1 lost writes, the right RPO seconds and the non-prefix flag.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { foldLedger, parseLedgerLog } from '../../src/measure/ledger.ts';
import type { CanarySample, DrillResult } from '../../src/measure/types.ts';
import { startDrill } from '../../src/cli/run.ts';
import { abortSignal } from '../../workflows/names.ts';
import { useEngine } from './engine-harness.ts';

const engine = useEngine('e2e-calibration', ['calibration']);
const errors: number[] = [];
const modes: { variant: string; outage: number; rto: number; error: number; resolution: number | null }[] =
  [];

function ledgerOf(result: DrillResult) {
  return foldLedger(
    parseLedgerLog(readFileSync(join(engine.reportsDir, result.runId, 'ledger.jsonl'), 'utf8')),
  );
}
function canariesOf(result: DrillResult): CanarySample[] {
  return readFileSync(join(engine.reportsDir, result.runId, 'canary.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CanarySample);
}
const t0Of = (r: DrillResult) => Date.parse(r.timeline.find((m) => m.marker === 'T0')!.at);

/** The target's own outage window, from its receipt (the marker it stamped at faultAt). */
function outageWindow(result: DrillResult, outage: number) {
  const faultAt = Date.parse(result.timeline.find((m) => m.marker === 'fault-at-target')!.at);
  return { faultAt, until: faultAt + outage };
}

describe('calibration', () => {
  // Every failure mode of the measurement spec, at a short and a long outage: the RTO must not
  // depend on how the outage looks to a client.
  it.each([
    { variant: 'outage', outage: 250 },
    { variant: 'outage', outage: 3_000 },
    { variant: 'hang', outage: 250 },
    { variant: 'hang', outage: 3_000 },
    { variant: 'hold', outage: 250 },
    { variant: 'hold', outage: 3_000 },
    { variant: 'slow', outage: 250 },
    { variant: 'slow', outage: 3_000 },
    { variant: 'client-retry', outage: 250 },
    { variant: 'client-retry', outage: 3_000 },
  ])('$variant, outage $outage ms: RTO within 100 ms of D and never shorter', async ({ variant, outage }) => {
    const result = await engine.run({ drill: 'calibration', variant, options: { outage: `${outage}ms` } });
    const rto = result.rto.serviceMs!;
    const error = rto - outage;
    errors.push(Math.abs(error));
    modes.push({ variant, outage, rto, error, resolution: result.rto.resolutionMs ?? null });
    expect(result.verdict, result.reason).toBe('MET');
    expect(result.timeline.some((m) => m.marker === 'fault-confirmed')).toBe(true);
    // Credit at completion: the service is back when an answer came after the target's window.
    const { until } = outageWindow(result, outage);
    expect(t0Of(result) + rto).toBeGreaterThanOrEqual(until);
    expect(rto).toBeGreaterThanOrEqual(outage);
    expect(Math.abs(error), `RTO ${rto} ms for an outage of ${outage} ms (${variant})`).toBeLessThanOrEqual(
      100,
    );
    // Open loop: a hung or held canary never blinds the watch.
    expect(result.rto.resolutionMs!).toBeLessThanOrEqual(150);
    expect(result.rto.latencyBoundMs!).toBeGreaterThanOrEqual(100);
    // Held (or retried) answers within the latency bound are never a failure a client sees.
    const invisible = ['hold', 'client-retry'].includes(variant) && outage <= result.rto.latencyBoundMs! + 50;
    if (!invisible) expect(result.rto.detectMs).not.toBeNull();
  });

  it.each([
    { outage: 0, from: 0, to: 0 },
    { outage: 750, from: 0, to: 0 },
    { outage: 2_000, from: 20, to: 29 }, // a range in the middle: non-prefix
    { outage: 1_200, from: 1, to: 1 }, // the oldest write: non-prefix
  ])('outage $outage ms, drop ids $from to $to', async ({ outage, from, to }) => {
    const result = await engine.run({
      drill: 'calibration',
      options: { outage: `${outage}ms`, 'drop-from': from, 'drop-to': to },
    });
    const error = Math.abs(result.rto.serviceMs! - outage);
    errors.push(error);
    if (outage > 0) {
      // The target's own clock is the truth: the answer that marks T_service came after its window.
      const { until } = outageWindow(result, outage);
      const first = canariesOf(result).find((c) => c.end === t0Of(result) + result.rto.serviceMs!)!;
      expect(first.ok).toBe(true);
      expect(first.end).toBeGreaterThanOrEqual(until);
    }
    expect(error, `RTO ${result.rto.serviceMs} ms for an outage of ${outage} ms`).toBeLessThanOrEqual(100);

    const dropped = from ? to - from + 1 : 0;
    expect(result.rpo.lost).toBe(dropped);
    expect(result.rpo.nonPrefix).toBe(dropped > 0);
    if (dropped) {
      const tAck = ledgerOf(result).find((e) => e.id === from)!.tAck!;
      expect(result.rpo.seconds).toBeCloseTo((t0Of(result) - tAck) / 1000, 3);
      expect(result.verdict).toBe('BREACHED'); // RPO 0 promised, and a non-prefix loss
      expect(result.reason).toMatch(new RegExp(`${dropped} acknowledged writes? lost`));
      expect(result.reason).toMatch(/non-prefix loss/);
    } else {
      expect(result.rpo.seconds).toBe(0);
      expect(result.verdict).toBe('MET');
    }
    if (outage === 0)
      expect(result.rto.detectMs).toBeNull(); // the fault was never visible
    else expect(result.rto.detectMs!).toBeLessThanOrEqual(100);
  });

  it('a dropped suffix (the newest acknowledged writes before T0) is counted and is not non-prefix', async () => {
    const result = await engine.run({ drill: 'calibration', options: { outage: '1s', 'drop-last': 7 } });
    expect(result.rpo.lost).toBe(7);
    expect(result.rpo.nonPrefix).toBe(false);
    // The truth comes from the target: its receipt names the ids it dropped.
    const receipt = result.timeline.find((m) => m.marker === 'fault-at-target')!.note!;
    const [first] = /dropped ids (\d+)\.\.(\d+) \(7\)/.exec(receipt)!.slice(1).map(Number);
    const oldestLost = ledgerOf(result).find((e) => e.id === first)!;
    expect(result.rpo.seconds).toBeCloseTo((t0Of(result) - oldestLost.tAck!) / 1000, 3);
    expect(Math.abs(result.rto.serviceMs! - 1_000)).toBeLessThanOrEqual(100);
  });

  it('refuses a second drill on a target that is being drilled, naming the running one', async () => {
    const first = await engine.input({ drill: 'calibration', options: { outage: '30s' } });
    const handle = await startDrill(engine.client(), first.input, first.component);
    const second = await engine.input({ drill: 'calibration' });
    await expect(startDrill(engine.client(), second.input, second.component)).rejects.toThrow(
      new RegExp(
        `a drill is already running on calibration/main: calibration run ${first.input.runId} .*firedrill abort calibration/main`,
      ),
    );
    await handle.signal(abortSignal, 'test over');
    expect(((await handle.result()) as DrillResult).verdict).toBe('ABORTED');
  });

  // A report, not a test: every test above passes or fails on its own, alone or in any order.
  afterAll(() => {
    for (const m of modes)
      console.log(
        `calibration ${m.variant.padEnd(12)} D ${String(m.outage).padStart(5)} ms  RTO ${String(m.rto).padStart(5)} ms  error ${m.error >= 0 ? '+' : ''}${m.error} ms  resolution ${m.resolution} ms`,
      );
    if (errors.length)
      console.log(
        `calibration: max |measured − D| = ${Math.max(...errors)} ms over ${errors.length} runs (${errors.join(', ')})`,
      );
  });
});
