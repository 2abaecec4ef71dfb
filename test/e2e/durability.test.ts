// Proofs of durability: the fault is reverted and the run recorded even when (a) the worker is
// SIGKILLed right after injection, (b) the operator aborts mid-recovery, (c) the Temporal server
// restarts mid-drill. Workers here are separate processes, as in production.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { startDrill } from '../../src/cli/run.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import { resultsUrl } from '../../src/platform/local/components/results.ts';
import { ResultStore } from '../../src/results/store.ts';
import { waitFor } from '../../src/util/wait.ts';
import { abortSignal } from '../../workflows/names.ts';
import { externalWorkers, useEngine } from './engine-harness.ts';

const engine = useEngine('e2e-durability', ['kafka'], { worker: false });
const workers = externalWorkers(() => engine.sandboxName);
const spawnWorker = () => workers.spawn();
const killWorker = workers.kill;

// A test that fails mid-drill must not leave its drill running: the next test's start would be
// refused (one drill per target). Abort it with a live worker, so the fault is reverted, then stop.
let current: WorkflowHandle | undefined;
afterEach(async () => {
  const open = current;
  current = undefined;
  // Workers die first, as before: killed after another client call they left the next test's
  // first task waiting ~10 s on the server (measured), and only a fresh worker is needed here.
  workers.killAll();
  if (open && (await open.describe()).status.name === 'RUNNING') {
    spawnWorker();
    await open.signal(abortSignal, 'test cleanup');
    await open.result().catch(() => undefined);
  }
  workers.killAll();
}, 180_000);

const markersOf = (runId: string) => {
  const file = join(engine.reportsDir, runId, 'markers.jsonl');
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).marker as string)
    : [];
};

async function brokersUp(): Promise<boolean> {
  return (await engine.sandbox().status()).kafka!.every((m) => m.up);
}

async function recorded(runId: string): Promise<DrillResult | undefined> {
  const store = await ResultStore.connect(resultsUrl(engine.sandbox().component('results')));
  try {
    return await store.run(runId);
  } finally {
    await store.close();
  }
}

describe('durability', () => {
  it('(a) SIGKILL the worker right after injection: a new worker finishes the drill', async () => {
    const started = Date.now();
    const first = spawnWorker();
    const { input, component } = await engine.input({
      drill: 'kafka-broker-kill',
      variant: 'leader',
      options: { 'restart-after': '3s' },
    });
    const handle = (current = await startDrill(engine.client(), input, component));
    // T0 is marked just before the fault command is issued: a kill between the two leaves nothing
    // injected (the new worker then says `inject-resumed` and does not fire again). Kill once the
    // command has returned, so the broker is surely down with no worker watching it.
    await waitFor('T0_done', async () => markersOf(input.runId).includes('T0_done'), {
      timeoutMs: 120_000,
      intervalMs: 20,
    });
    killWorker(first);
    expect(await brokersUp()).toBe(false); // the fault is in place and nobody is watching
    spawnWorker();
    const result = (await handle.result()) as DrillResult;
    expect(['MET', 'BREACHED']).toContain(result.verdict);
    expect(result.rpo.lost).toBe(0);
    expect(await brokersUp()).toBe(true);
    expect((await recorded(input.runId))?.verdict).toBe(result.verdict);
    console.log(
      `durability (a): ${((Date.now() - started) / 1000).toFixed(1)} s, verdict ${result.verdict}, RTO ${result.rto.serviceMs} ms`,
    );
  });

  it('(b) abort mid-recovery: the fault is reverted at once and the verdict is ABORTED', async () => {
    const started = Date.now();
    spawnWorker();
    // The platform would take 10 minutes to bring the broker back: only the abort can.
    const { input, component } = await engine.input({
      drill: 'kafka-broker-kill',
      variant: 'leader',
      options: { 'restart-after': '10m' },
      deadline: '15m',
    });
    const handle = (current = await startDrill(engine.client(), input, component));
    await waitFor('T0', async () => markersOf(input.runId).includes('T0'), {
      timeoutMs: 120_000,
      intervalMs: 50,
    });
    await new Promise((r) => setTimeout(r, 2_000));
    await handle.signal(abortSignal, 'red button pressed by the test');
    const result = (await handle.result()) as DrillResult;
    expect(result.verdict).toBe('ABORTED');
    expect(result.reason).toMatch(/red button/);
    expect(markersOf(input.runId)).toContain('reverted');
    expect(await brokersUp()).toBe(true);
    expect((await recorded(input.runId))?.verdict).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(120_000);
    console.log(`durability (b): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('(c) the Temporal server restarts mid-drill (same database file): the drill finishes', async () => {
    const started = Date.now();
    spawnWorker();
    const { input, component } = await engine.input({
      drill: 'kafka-broker-kill',
      variant: 'leader',
      options: { 'restart-after': '3s' },
    });
    const handle = (current = await startDrill(engine.client(), input, component));
    await waitFor('T0', async () => markersOf(input.runId).includes('T0'), {
      timeoutMs: 120_000,
      intervalMs: 50,
    });
    await engine.sandbox().kill('temporal');
    await new Promise((r) => setTimeout(r, 2_000));
    await engine.sandbox().restart('temporal');
    const result = (await handle.result()) as DrillResult;
    expect(['MET', 'BREACHED']).toContain(result.verdict);
    expect(result.rpo.lost).toBe(0);
    expect(await brokersUp()).toBe(true);
    expect((await recorded(input.runId))?.runId).toBe(input.runId);
    console.log(`durability (c): ${((Date.now() - started) / 1000).toFixed(1)} s, verdict ${result.verdict}`);
  });
});
