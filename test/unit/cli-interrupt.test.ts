// Ctrl-C during `run`/`gameday`, as pure logic: the first signal aborts (once), the second says
// what is still in place and exits 128 + the signal, and the handlers go away with the run.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { faultState, leftInPlaceText, onInterrupt, type SignalSource } from '../../src/cli/interrupt.ts';
import type { DrillProgress } from '../../workflows/names.ts';

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const source: SignalSource & { emit(s: string): void } = {
    on: (s, l) => emitter.on(s, l),
    off: (s, l) => emitter.off(s, l),
    exit: (code) => exits.push(code),
    emit: (s) => emitter.emit(s, s),
  };
  return {
    source,
    exits,
    listeners: () => emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM'),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

function progress(over: Partial<DrillProgress>): DrillProgress {
  return {
    runId: 'calibration-outage-1',
    drill: 'calibration',
    variant: 'outage',
    phase: 'recover',
    startedAt: 0,
    elapsedMs: 0,
    canary: { ok: 0, failed: 0, lastOk: null },
    markers: [],
    ...over,
  };
}

describe('onInterrupt', () => {
  it("idle() waits for the second signal's read of the state, so the connection is not closed under it", async () => {
    const p = fakeProcess();
    let answer: (text: string) => void = () => {};
    const handle = onInterrupt(
      {
        what: 'drill calibration/outage',
        abort: async () => {},
        leftInPlace: () => new Promise<string>((r) => (answer = r)),
      },
      { source: p.source, say: () => {} },
    );
    await handle.idle(); // nothing in flight: at once
    p.source.emit('SIGINT');
    p.source.emit('SIGINT');
    handle.dispose();
    let idle = false;
    const waiting = handle.idle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false); // the query still runs: the caller must not close yet
    answer('run r1, phase done: the fault is reverted');
    await waiting;
    expect(p.exits).toEqual([130]);
  });

  it('the first SIGINT aborts once and says so in one line; the second prints what is left and exits 130', async () => {
    const p = fakeProcess();
    const said: string[] = [];
    const aborts: string[] = [];
    let asked = 0;
    const handle = onInterrupt(
      {
        what: 'drill calibration/outage',
        abort: async (reason) => void aborts.push(reason),
        leftInPlace: async () => (asked++, 'run r1, phase recover: NOT reverted'),
      },
      { source: p.source, say: (l) => said.push(l) },
    );
    expect(handle.interrupted).toBe(false);
    p.source.emit('SIGINT');
    await settle();
    expect(handle.interrupted).toBe(true);
    expect(aborts).toEqual(['interrupted by the operator (SIGINT)']);
    expect(said).toHaveLength(1);
    expect(said[0]!.trim().split('\n')).toHaveLength(1);
    expect(said[0]).toMatch(
      /aborting drill calibration\/outage and reverting its fault.*Ctrl-C again stops waiting/,
    );
    expect(p.exits).toEqual([]);
    expect(asked).toBe(0);

    p.source.emit('SIGINT');
    await settle();
    expect(aborts).toHaveLength(1); // never a second abort
    expect(asked).toBe(1);
    expect(said.at(-1)).toContain('stopped waiting. run r1, phase recover: NOT reverted');
    expect(p.exits).toEqual([130]);
  });

  it('SIGTERM does the same, and exits 143', async () => {
    const p = fakeProcess();
    const aborts: string[] = [];
    onInterrupt(
      { what: 'x', abort: async (r) => void aborts.push(r), leftInPlace: async () => 'left' },
      { source: p.source, say: () => {} },
    );
    p.source.emit('SIGTERM');
    p.source.emit('SIGTERM');
    await settle();
    expect(aborts).toEqual(['interrupted by the operator (SIGTERM)']);
    expect(p.exits).toEqual([143]);
  });

  it('a drill that does not answer the second Ctrl-C in time does not hold the operator', async () => {
    const p = fakeProcess();
    const said: string[] = [];
    onInterrupt(
      { what: 'x', abort: async () => {}, leftInPlace: () => new Promise<string>(() => {}) },
      { source: p.source, say: (l) => said.push(l), withinMs: 20 },
    );
    p.source.emit('SIGINT');
    p.source.emit('SIGINT');
    await new Promise((r) => setTimeout(r, 60));
    expect(said.at(-1)).toMatch(/did not answer in time/);
    expect(p.exits).toEqual([130]);
  });

  it('an abort that cannot be sent is said, not thrown', async () => {
    const p = fakeProcess();
    const said: string[] = [];
    onInterrupt(
      {
        what: 'x',
        abort: async () => {
          throw new Error('connection refused');
        },
        leftInPlace: async () => '',
      },
      { source: p.source, say: (l) => said.push(l) },
    );
    p.source.emit('SIGINT');
    await settle();
    expect(said.at(-1)).toBe('firedrill: the abort could not be sent: connection refused');
  });

  it('dispose removes both handlers', () => {
    const p = fakeProcess();
    const handle = onInterrupt(
      { what: 'x', abort: async () => {}, leftInPlace: async () => '' },
      { source: p.source, say: () => {} },
    );
    expect(p.listeners()).toBe(2);
    handle.dispose();
    expect(p.listeners()).toBe(0);
  });
});

describe('what the second Ctrl-C says is left in place', () => {
  const t0 = { marker: 'T0', at: Date.parse('2025-01-02T03:04:05.000Z') };

  it('before the injection step: nothing injected', () => {
    expect(faultState(progress({ phase: 'steady-state' }))).toBe('phase steady-state: nothing injected yet');
  });

  it('T0 marked and not past the compensation: the fault is in place, not reverted', () => {
    expect(faultState(progress({ phase: 'recover', markers: [t0] }))).toBe(
      'phase recover: the fault is in place since 2025-01-02T03:04:05.000Z (T0) and NOT reverted yet',
    );
    expect(faultState(progress({ phase: 'compensate', markers: [t0] }))).toMatch(
      /NOT reverted yet \(the revert is under way\)$/,
    );
  });

  it('the injection step without T0: a preparation or the fault may be in place', () => {
    expect(faultState(progress({ phase: 'inject' }))).toMatch(/no T0 marked.*may be in place/);
  });

  it('past the compensation: reverted; unless the revert gave up', () => {
    expect(faultState(progress({ phase: 'record', markers: [t0] }))).toBe(
      'phase record: the fault is reverted; only the record is left',
    );
    expect(
      faultState(
        progress({
          phase: 'record',
          markers: [t0],
          faultLeft: [{ id: 7, description: 'outage 300000 ms', touched: [] }],
        }),
      ),
    ).toBe('phase record: the revert gave up, still in place: outage 300000 ms (firedrill faults revert 7)');
  });

  it('names the run, the workflow that stays open, the worker command and `firedrill faults`, in two lines', () => {
    const text = leftInPlaceText(progress({ markers: [t0] }), {
      runId: 'calibration-outage-1',
      drill: 'calibration',
      variant: 'outage',
      workflowId: 'firedrill-target:calibration@local:default',
      sandbox: 'default',
    });
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      'run calibration-outage-1 (calibration/outage), phase recover: the fault is in place since 2025-01-02T03:04:05.000Z (T0) and NOT reverted yet.',
    );
    expect(lines[1]).toContain('firedrill-target:calibration@local:default stays open in Temporal');
    expect(lines[1]).toContain('`FIREDRILL_SANDBOX=default npm run worker`');
    expect(lines[1]).toContain('`firedrill faults`');
    expect(leftInPlaceText(undefined, { runId: 'r', drill: 'd', workflowId: 'w' })).toMatch(
      /^run r \(d\), its state is unknown/,
    );
  });
});
