// The concurrency bench's must-be-0 figures come from the target's own counts and the journal:
// a double injection, a fault left or a revert too many must show, whatever the verdicts say.
import { describe, expect, it } from 'vitest';
import { concurrencyFigures, type DrillOutcome, type JournalRow } from '../../bench/concurrency-figures.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import type { InstanceCounts } from '../../src/systems/calibration/server.ts';

const OUTAGE = 1_500;
const met = (serviceMs: number, t0 = '2026-12-01T10:00:00.000Z'): DrillResult =>
  ({
    verdict: 'MET',
    rto: { serviceMs, resolutionMs: 60, latencyBoundMs: 200 },
    timeline: [{ marker: 'T0', at: t0 }],
  }) as unknown as DrillResult;
const outcome = (instance: string, result?: DrillResult, error?: string): DrillOutcome => ({
  instance,
  runId: `run-${instance}`,
  workflowId: `wf-${instance}`,
  result,
  error,
  settledAt: 1,
});
const took = (
  instance: string,
  faultCommands: number,
  effectiveResets: number,
  faulted = false,
): InstanceCounts => ({
  instance,
  faultCommands,
  effectiveResets,
  idleResets: 0,
  faulted,
});
const row = (instance: string, state: string): JournalRow => ({
  runId: `run-${instance}`,
  entry: 'fault',
  kind: 'fault',
  state,
  reverts: 1,
  reason: null,
});

describe('concurrency bench figures', () => {
  it('a clean run: nothing to report, the RTO error of the MET runs', () => {
    const f = concurrencyFigures(
      [outcome('c1', met(1_540)), outcome('c2', met(1_600))],
      [took('c1', 1, 1), took('c2', 1, 1), took('main', 5, 0)], // main is not one of the bench's
      [row('c1', 'reverted'), row('c2', 'reverted')],
      [],
      OUTAGE,
    );
    expect(f.byVerdict).toEqual({ MET: 2 });
    expect(f.doubleInjections.count).toBe(0);
    expect(f.faultsLeft.count).toBe(0);
    expect(f.revertsPerFault).toMatchObject({ faulted: 2, distribution: { '1': 2 }, notExactlyOne: [] });
    expect(f.rtoError).toMatchObject({ runs: 2, worstMs: 100, worstRunId: 'run-c2' });
    // A watch resumed after its worker died leaves a canary gap: counted apart from the load's error.
    const resumed = met(12_000);
    resumed.rto.resolutionMs = 10_500;
    const g = concurrencyFigures(
      [outcome('c1', met(1_540)), outcome('c2', resumed)],
      [took('c1', 1, 1), took('c2', 1, 1)],
      [],
      [],
      OUTAGE,
    );
    expect(g.rtoError).toMatchObject({ worstMs: 10_500, worstUninterruptedMs: 40, interruptedRuns: 1 });
  });

  it('shows a double injection, a fault left and a revert too many or too few, though every verdict is MET', () => {
    const f = concurrencyFigures(
      [outcome('c1', met(1_500)), outcome('c2', met(1_500)), outcome('c3', met(1_500))],
      [took('c1', 2, 2), took('c2', 1, 0, true), took('c3', 1, 1)],
      [row('c1', 'reverted'), row('c2', 'fired'), row('c3', 'reverted')],
      [{ target: 'calibration/c2', runId: 'run-c2' }],
      OUTAGE,
    );
    expect(f.doubleInjections.instances).toEqual([{ instance: 'c1', faultCommands: 2 }]);
    expect(f.faultsLeft.count).toBe(2); // c2's journal row, and c2 itself still faulted
    expect(f.revertsPerFault.notExactlyOne.map((x) => x.instance)).toEqual(['c1', 'c2']);
    expect(f.locksStillHeld).toHaveLength(1);
  });

  it('counts failed and unfinished drills apart, and a row never fired is not a fault left', () => {
    const f = concurrencyFigures(
      [
        outcome('c1', undefined, 'the ledger got only 0 of 10\nmore'),
        { ...outcome('c2'), settledAt: undefined },
      ],
      [took('c2', 1, 1)],
      [row('c1', 'planned'), row('c2', 'reverted')],
      [],
      OUTAGE,
    );
    expect(f.failed).toEqual({ 'the ledger got only 0 of 10': 1 });
    expect(f.unfinished).toEqual(['run-c2']);
    expect(f.faultsLeft).toMatchObject({ count: 0, plannedNeverFired: ['run-c1/fault'] });
    expect(f.finished).toBe(0);
  });

  it('flags a T_service marker stamped before T0', () => {
    const r = met(1_500);
    r.timeline.push({ marker: 'T_service', at: '2026-12-01T09:59:59.500Z' });
    const f = concurrencyFigures([outcome('c1', r)], [took('c1', 1, 1)], [row('c1', 'reverted')], [], OUTAGE);
    expect(f.markersBeforeT0).toEqual([
      { runId: 'run-c1', markers: [{ marker: 'T_service', msBeforeT0: 500 }] },
    ]);
  });
});
