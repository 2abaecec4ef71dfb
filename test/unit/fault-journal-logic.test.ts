// The pure rules under the fault journal and the shared evidence: target keys, what the watch
// reads as fired, merging what several workers wrote, a resumed ledger's ids, the heartbeat that
// stops when a step stops making progress, and FAULT-LEFT outranking every verdict. Each test
// names the bug it exists to catch.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { liveness } from '../../activities/liveness.ts';
import { firedFrom } from '../../src/engine/fired.ts';
import { RESUME_ID_GAP, runLedgerWriter } from '../../src/engine/ledger-writer.ts';
import { mergeMarkers } from '../../src/engine/record.ts';
import { mergeLines } from '../../src/engine/shared-evidence.ts';
import { decideVerdict } from '../../src/measure/verdict.ts';
import { exitCodeOf, faultLeftLines } from '../../src/cli/verdict-exit.ts';
import type { JournalEntry } from '../../src/results/journal.ts';
import { holdsComponent, parseTargetKey, targetKey } from '../../workflows/names.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DrillEnv } from '../../src/drill/definition.ts';
import type { DrillPlan } from '../../src/drill/plan.ts';
import { fakeDrill } from './fake-drill.ts';

const local = (sandbox: string) => ({ kind: 'local' as const, sandbox });

describe('target keys', () => {
  it('name the target and the place, and parse back (mutant: place before target)', () => {
    const key = targetKey(local('default'), 'calibration/c7');
    expect(key).toBe('firedrill-target:calibration/c7@local:default');
    expect(parseTargetKey(key)).toEqual({ target: 'calibration/c7', place: 'local:default' });
    const k8s = targetKey({ kind: 'kubernetes', context: 'arn:aws:eks:x/cluster@a' }, 'kafka');
    expect(parseTargetKey(k8s)).toEqual({ target: 'kafka', place: 'k8s:arn:aws:eks:x/cluster@a' });
  });
  it('a sandbox whose name extends another one is not that one (mutant: prefix match)', () => {
    const key = targetKey(local('default-kafka'), 'calibration');
    expect(holdsComponent(key, local('default'), 'kafka')).toBe(false);
    expect(holdsComponent(key, local('default-kafka'), 'calibration')).toBe(true);
    expect(holdsComponent(targetKey(local('a'), 'calibration/c1'), local('a'), 'calibration')).toBe(true);
    expect(holdsComponent(targetKey(local('a'), 'calibrationx'), local('a'), 'calibration')).toBe(false);
  });
});

const entry = (over: Partial<JournalEntry>): JournalEntry => ({
  id: 1,
  runId: 'r',
  entry: 'fault',
  kind: 'fault',
  target: 't',
  workflowId: null,
  drill: 'd',
  variant: 'v',
  state: 'fired',
  detail: { description: 'x', touched: [] },
  t0: 1_000,
  t0Done: 1_010,
  reason: null,
  reverts: 0,
  input: {},
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

describe('firedFrom: what the watch reads as fired', () => {
  it('nothing before the fault is fired (mutant: a planned entry counts)', () => {
    expect(firedFrom(undefined)).toBeUndefined();
    expect(firedFrom(entry({ state: 'planned', t0: null, detail: null }))).toBeUndefined();
  });
  it('a firing entry gives its early T0, unsettled, so the watch reads it again', () => {
    expect(firedFrom(entry({ state: 'firing' }))).toEqual({
      t0: 1_000,
      fault: { description: 'x', touched: [] },
      settled: false,
    });
  });
  it('fired, reverting, reverted and left are all settled with their T0', () => {
    for (const state of ['fired', 'reverting', 'reverted', 'left'] as const)
      expect(firedFrom(entry({ state }))?.settled).toBe(true);
  });
});

describe('merging what several workers wrote', () => {
  it('shared lines first, then local lines not shared yet, each once (mutant: local dropped)', () => {
    expect(mergeLines(['a', 'b'], ['b', 'c', '', 'a', 'd'])).toEqual(['a', 'b', 'c', 'd']);
  });
  it('markers each once by name and instant, in time order (mutant: duplicates kept)', () => {
    const merged = mergeMarkers(
      [
        { marker: 'T_steady', at: 5 },
        { marker: 'T0', at: 10 },
      ],
      [
        { marker: 'T0', at: 10, note: 'from the journal' },
        { marker: 'T_service', at: 30 },
        { marker: 'T_detect', at: 20 },
      ],
    );
    expect(merged.map((m) => m.marker)).toEqual(['T_steady', 'T0', 'T_detect', 'T_service']);
  });
});

describe('a ledger writer resumed on another worker', () => {
  it('continues after the shared log, with a gap (mutant: ids restart at 1 and overwrite)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'firedrill-resume-')), 'ledger.jsonl');
    const keys: string[] = [];
    const drill = fakeDrill('resume-drill', {
      write: async (_e: DrillEnv, _s: unknown, r: { key: string }) => {
        keys.push(r.key);
        await new Promise((done) => setTimeout(done, 1)); // a real write yields
        return {};
      },
    });
    const stop = new AbortController();
    const plan = { ledgerConcurrency: 1, ledgerMaxRate: 0, ledgerBatch: 1 } as DrillPlan;
    const writing = runLedgerWriter(drill, { runId: 'run' } as DrillEnv, {}, plan, file, {
      signal: stop.signal,
      resumeFrom: { invoked: 40, acked: 40, failed: 0, unknown: 0, maxId: 40 },
    });
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    const stats = await writing;
    const firstId = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!).id as number;
    expect(firstId).toBe(40 + 1 + RESUME_ID_GAP);
    expect(keys[0]).toBe(`run/${String(firstId).padStart(9, '0')}`);
    expect(stats.acked).toBeGreaterThan(40); // the shared acknowledgements count
  });
});

describe('liveness: a step heartbeats only while it makes progress', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  it('stops beating after stallMs without progress, and beats again on progress (mutant: timer only)', async () => {
    const beats: number[] = [];
    const live = liveness(5_000, undefined, () => beats.push(Date.now()));
    let release!: () => void;
    const step = live.run(() => new Promise<void>((r) => (release = r)), 1_000);
    await vi.advanceTimersByTimeAsync(4_500);
    const alive = beats.length;
    expect(alive).toBe(4);
    await vi.advanceTimersByTimeAsync(10_000); // stuck: no progress
    expect(beats.length).toBe(alive);
    live.touch('platform.restart settled');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(beats.length).toBe(alive + 2);
    release();
    await step;
  });
});

describe('FAULT-LEFT outranks every verdict', () => {
  const base = {
    injected: true,
    faultConfirmed: true,
    samplesAfterT0: 10,
    targets: { rtoMs: 1_000, rpoMs: 0, source: 's' },
    recovery: { ok: 10, failed: 0, serviceAt: 100, serviceMs: 100 },
    ledger: null,
    deadlineMs: 10_000,
  };
  it('over ABORTED and over what was measured (mutant: abort checked first)', () => {
    expect(
      decideVerdict({ ...base, faultLeftReason: 'kafka-1 still down', abortedReason: 'operator' }),
    ).toEqual({ verdict: 'FAULT-LEFT', reason: 'kafka-1 still down' });
    expect(decideVerdict({ ...base, abortedReason: 'operator' }).verdict).toBe('ABORTED');
  });
});

describe('the exit code of a run', () => {
  it('is 3 when any fault is left in place, whatever else (mutant: FAULT-LEFT exits 1)', () => {
    expect(exitCodeOf([{ verdict: 'MET' }])).toBe(0);
    expect(exitCodeOf([{ verdict: 'MET' }, { verdict: 'BREACHED' }])).toBe(1);
    expect(exitCodeOf([{ verdict: 'BREACHED' }, { verdict: 'FAULT-LEFT' }, { verdict: 'MET' }])).toBe(3);
    expect(
      faultLeftLines([
        { verdict: 'MET', runId: 'a' },
        { verdict: 'FAULT-LEFT', runId: 'b', reason: 'kafka-1 down; retry: firedrill faults revert 4' },
      ]),
    ).toEqual([
      'FAULT-LEFT (run b): kafka-1 down; retry: firedrill faults revert 4 — see `firedrill faults`',
    ]);
  });
});
