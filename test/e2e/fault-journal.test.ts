// The fault journal on real servers: a revert made to fail on purpose (the calibration target is
// killed while its fault is in place) ends as FAULT-LEFT, never as a refusal; the journal says
// `left`, the target stays locked (a second drill is refused, Sandbox.ensure leaves the target
// down), `firedrill faults` lists it, and `firedrill faults revert` undoes it and frees the target.
import { describe, expect, it } from 'vitest';
import { drillResult, startDrill } from '../../src/cli/run.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import { resultsUrl } from '../../src/platform/local/components/results.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import { heldTargets } from '../../src/results/held.ts';
import { FAULT_ENTRY } from '../../src/results/journal.ts';
import { PgFaultJournal } from '../../src/results/journal-pg.ts';
import { ResultStore } from '../../src/results/store.ts';
import { waitFor } from '../../src/util/wait.ts';
import { abortSignal, targetKey } from '../../workflows/names.ts';
import { firedrill } from './cli.ts';
import { useEngine } from './engine-harness.ts';

const engine = useEngine('e2e-journal', ['calibration']);
const url = () => resultsUrl(engine.sandbox().component('results'));
const cli = (args: string[]) => firedrill([...args, '--sandbox', engine.sandboxName]);
const calibrationUp = async () => (await engine.sandbox().status()).calibration!.every((m) => m.up);

describe('fault journal', () => {
  it('a revert that gives up is FAULT-LEFT, keeps the target, and `firedrill faults revert` undoes it', async () => {
    const journal = await PgFaultJournal.connect(url());
    try {
      const { input, component } = await engine.input({
        drill: 'calibration',
        options: { outage: '2m' },
        deadline: '5m',
      });
      // Two attempts, not twenty: the mechanism is what is tested, not the patience.
      const handle = await startDrill(engine.client(), { ...input, revertAttempts: 2 }, component);
      await waitFor(
        'the fault journaled as fired',
        async () => (await journal.entry(input.runId, FAULT_ENTRY))?.state === 'fired',
        { timeoutMs: 120_000, intervalMs: 50 },
      );
      // The revert (POST /reset) cannot reach a target that is not running.
      await engine.sandbox().kill('calibration');
      await handle.signal(abortSignal, 'the test makes the revert fail');
      const result = (await handle.result()) as DrillResult;

      expect(result.verdict).toBe('FAULT-LEFT');
      const entry = (await journal.entry(input.runId, FAULT_ENTRY))!;
      expect(entry.state).toBe('left');
      expect(entry.reverts).toBe(2);
      expect(result.reason).toContain(`firedrill faults revert ${entry.id}`);
      const store = await ResultStore.connect(url());
      expect((await store.run(input.runId))?.verdict).toBe('FAULT-LEFT');
      await store.close();

      // The lock outlives the run: nothing else may touch the broken target.
      const key = targetKey(input.platform, 'calibration/main');
      expect((await journal.locks()).map((l) => [l.target, l.runId])).toContainEqual([key, input.runId]);
      const second = await engine.input({ drill: 'calibration' });
      const refusedRun = await startDrill(engine.client(), second.input, second.component);
      await expect(drillResult(refusedRun)).rejects.toThrow(new RegExp(`held by run ${input.runId}`));
      const held = heldTargets(engine.sandboxName, url);
      const logs: string[] = [];
      await Sandbox.ensure({
        name: engine.sandboxName,
        only: ['results', 'calibration'],
        log: (m) => logs.push(m),
        heldBy: held.heldBy,
      });
      await held.close();
      expect(await calibrationUp()).toBe(false);
      expect(logs.join('\n')).toMatch(/calibration: a member is down and left as it is — run .* holds it/);

      const listed = await cli(['faults']);
      console.log(`firedrill faults (exit ${listed.code}):\n${listed.stdout}${listed.stderr}`);
      expect(listed.code).toBe(3);
      expect(listed.stdout).toContain(`#${entry.id}`);
      expect(listed.stdout).toMatch(/LEFT/);
      expect(listed.stdout).toContain(input.runId);

      // While the target is still down, the revert by hand fails too, and says so.
      const refused = await cli(['faults', 'revert', String(entry.id)]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/still in place/);
      expect((await journal.byId(entry.id))?.state).toBe('left');

      await engine.sandbox().restart('calibration');
      const reverted = await cli(['faults', 'revert', String(entry.id)]);
      console.log(
        `firedrill faults revert ${entry.id} (exit ${reverted.code}):\n${reverted.stdout}${reverted.stderr}`,
      );
      expect(reverted.code).toBe(0);
      expect(reverted.stdout).toMatch(/is free again/);
      expect((await journal.byId(entry.id))?.state).toBe('reverted');
      expect((await journal.locks()).some((l) => l.target === key)).toBe(false);
      expect((await cli(['faults'])).stdout).toMatch(/no fault is known to be left in place/);

      // The target is free: the next drill runs.
      const next = await engine.run({ drill: 'calibration', options: { outage: '500ms' } });
      expect(['MET', 'BREACHED', 'INCONCLUSIVE']).toContain(next.verdict);
      expect((await journal.entries(next.runId)).map((e) => e.state)).toEqual(['reverted']);
    } finally {
      await journal.close();
    }
  }, 300_000);

  it('a lock left by a terminated run that fired nothing is taken over (one with a fault left is not: above)', async () => {
    const journal = await PgFaultJournal.connect(url());
    try {
      // 20,000 acknowledged writes before the fault: seconds of margin to end it before it fires.
      const { input, component } = await engine.input({
        drill: 'calibration',
        options: { 'writes-before': 20_000 },
      });
      const handle = await startDrill(engine.client(), input, component);
      const key = targetKey(input.platform, 'calibration/main');
      await waitFor(
        'the lock taken',
        async () => (await journal.locks()).some((l) => l.runId === input.runId),
        {
          timeoutMs: 60_000,
          intervalMs: 20,
        },
      );
      // Terminated before it fired: nothing to revert, and no compensation ran to release it.
      await handle.terminate('the test ends it abruptly');
      expect((await journal.entry(input.runId, FAULT_ENTRY))?.state ?? 'planned').toBe('planned');
      expect((await journal.locks()).find((l) => l.target === key)?.runId).toBe(input.runId);
      const next = await engine.run({ drill: 'calibration', options: { outage: '500ms' } });
      expect(['MET', 'BREACHED', 'INCONCLUSIVE']).toContain(next.verdict);
      expect((await journal.locks()).some((l) => l.target === key)).toBe(false);
    } finally {
      await journal.close();
    }
  }, 180_000);
});
