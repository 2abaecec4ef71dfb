// --repeat (src/cli/repeat.ts): the runs it plans, the statistics table from the compliance report's
// figures, and the flag on a drill whose runs straddle the target.
import { describe, expect, it } from 'vitest';
import { parseRepeat, repeatRuns, repeatSummary, straddles, variantStats } from '../../src/cli/repeat.ts';
import { UserError } from '../../src/util/errors.ts';
import { EPOCH, makeRun } from './report-fixtures.ts';

const run = (i: number, serviceMs: number, verdict: 'MET' | 'BREACHED', drill = 'timescaledb-failover') =>
  makeRun({
    drill,
    variant: 'node-loss',
    runId: `${drill}-r${i}`,
    start: EPOCH + i * 60_000,
    serviceMs,
    verdict,
    targetRtoMs: 30_000,
  });

describe('--repeat', () => {
  it('accepts 1 to 100 and refuses anything else with the fix', () => {
    expect(parseRepeat('5')).toBe(5);
    for (const bad of ['0', '-1', '2.5', 'x', '101']) expect(() => parseRepeat(bad)).toThrow(UserError);
  });

  it('plans each drill n times in a row, every copy with a fresh run id', () => {
    let k = 0;
    const ids = ['dup', 'dup', 'b2', 'b3', 'a2', 'a3'];
    const runs = repeatRuns(
      [
        { runId: 'a1', drill: 'a', variant: 'x' },
        { runId: 'dup-first', drill: 'b', variant: 'y' },
      ],
      3,
      () => ids[k++]!,
    );
    expect(runs.map((r) => `${r.drill}:${r.runId}`)).toEqual([
      'a:a1',
      'a:dup',
      'a:b2',
      'b:dup-first',
      'b:b3',
      'b:a2',
    ]);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(runs.length);
    expect(repeatRuns([{ runId: 'a1', drill: 'a' }], 1, () => 'never')).toEqual([
      { runId: 'a1', drill: 'a' },
    ]);
  });

  it('flags a drill whose runs fall on both sides of the target, naming the cause it knows', () => {
    const results = [
      run(1, 23_300, 'MET'),
      run(2, 30_300, 'BREACHED'),
      run(3, 24_000, 'MET'),
      run(4, 31_000, 'BREACHED'),
      run(5, 22_000, 'MET'),
    ];
    const [flag, ...more] = straddles(variantStats(results));
    expect(more).toEqual([]);
    expect(flag!.message).toMatch(
      /^timescaledb-failover\/node-loss: 2 of 5 BREACHED \(RTO 22 s–31 s vs target 30 s\): the result depends on timing — see Patroni ttl\/loop_wait/,
    );
  });

  it('does not flag runs that agree, however they spread', () => {
    expect(straddles(variantStats([run(1, 2_000, 'MET'), run(2, 29_000, 'MET')]))).toEqual([]);
    expect(straddles(variantStats([run(1, 31_000, 'BREACHED'), run(2, 40_000, 'BREACHED')]))).toEqual([]);
  });

  it('states n, each verdict in order and min / median / p95 / max per drill+variant', () => {
    const text = repeatSummary([
      run(1, 20_000, 'MET'),
      run(2, 31_000, 'BREACHED'),
      run(3, 22_000, 'MET'),
      run(1, 1_000, 'MET', 'kafka-broker-kill'),
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^drill\s+variant\s+runs\s+verdicts\s+min\s+median\s+p95\s+max\s+target RTO$/);
    const ts = lines.find((l) => l.startsWith('timescaledb-failover'))!;
    expect(ts).toMatch(/node-loss\s+3\s+MET BREACHED MET\s+20 s\s+22 s\s+31 s\s+31 s\s+30 s$/);
    expect(lines.filter((l) => l.startsWith('TIMING-DEPENDENT'))).toHaveLength(1);
  });
});
