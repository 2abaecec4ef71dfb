// The restore drill's revert looks before it destroys: a cluster that answers within the window is
// never restored (the restore SIGKILLs and wipes), one that never serves is. Pure logic, with a
// fake prober and a fake clock.
import { describe, expect, it } from 'vitest';
import {
  lookUntilServing,
  revertPlan,
  type ClusterLook,
  type LookWindow,
} from '../../src/systems/timescaledb/serving.ts';

const down: ClusterLook = { healthy: false, tableReadable: false, summary: 'no running primary' };
const healthy: ClusterLook = {
  leader: 'pg-1',
  healthy: true,
  tableReadable: true,
  summary: 'pg-1 primary; pg-0, pg-2 streaming',
};
const replicasDown: ClusterLook = { ...healthy, healthy: false, summary: 'pg-1 primary; pg-0 down' };
const freshInitdb: ClusterLook = {
  leader: 'pg-1',
  healthy: true,
  tableReadable: false,
  summary: 'pg-1 primary; firedrill_ledger not readable: relation "firedrill_ledger" does not exist',
};

/** A prober answering `script` in turn (the last one from then on); `Error`s are thrown. */
function prober(...script: (ClusterLook | Error)[]) {
  let calls = 0;
  const look = async () => {
    const next = script[Math.min(calls++, script.length - 1)]!;
    if (next instanceof Error) throw next;
    return next;
  };
  return { look, calls: () => calls };
}

/** A clock that only moves when the code under test sleeps. */
function fakeTime(): Required<Pick<LookWindow, 'now' | 'sleep'>> & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)), slept };
}

const window = (clock: ReturnType<typeof fakeTime>): LookWindow => ({
  windowMs: 30_000,
  intervalMs: 2_000,
  ...clock,
});

describe('lookUntilServing + revertPlan (timescaledb-restore revert)', () => {
  it('one failed probe, then an answer: no restore', async () => {
    const clock = fakeTime();
    const p = prober(new Error('GET /cluster: timeout after 1000 ms'), healthy);
    const v = await lookUntilServing(p.look, window(clock));
    expect(v.serving).toBe(true);
    expect(v.looks).toBe(2);
    expect(revertPlan(v)).toBe('nothing');
    expect(v.why).toMatch(/^pg-1 leads and firedrill_ledger is readable \(look 2, after 2000 ms\)/);
    // It stopped looking as soon as the cluster answered.
    expect(p.calls()).toBe(2);
    expect(clock.slept).toEqual([2_000]);
  });

  it('a leader election (no leader for a while) then a leader with replicas still down: heal, not restore', async () => {
    const clock = fakeTime();
    const v = await lookUntilServing(prober(down, down, down, replicasDown).look, window(clock));
    expect(revertPlan(v)).toBe('heal');
    expect(v.looks).toBe(4);
  });

  it('a cluster that never answers over the window is restored, and says why', async () => {
    const clock = fakeTime();
    const p = prober(new Error('connect ECONNREFUSED 127.0.0.1:8008'));
    const v = await lookUntilServing(p.look, window(clock));
    expect(v.serving).toBe(false);
    expect(revertPlan(v)).toBe('restore');
    expect(v.elapsedMs).toBe(30_000); // the whole window, not one probe
    expect(p.calls()).toBe(16); // at 0, 2, …, 30 s
    expect(v.why).toBe(
      'no member served the data in 16 looks over 30.0 s (last: no answer: connect ECONNREFUSED 127.0.0.1:8008): restoring from the backup',
    );
  });

  it('a leader without the data (a fresh initdb) is not serving: restored', async () => {
    const v = await lookUntilServing(prober(freshInitdb).look, window(fakeTime()));
    expect(revertPlan(v)).toBe('restore');
    expect(v.last.summary).toMatch(/does not exist/);
  });
});
