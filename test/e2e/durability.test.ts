// Proofs of durability: the fault is reverted and the run recorded even when (a) the worker is
// SIGKILLed right after injection, (b) the operator aborts mid-recovery, (c) the Temporal server
// restarts mid-drill. Workers here are separate processes, as in production; each case runs with
// one worker at a time on the run's folder, and again with two workers at once, each on its own
// folder (FIREDRILL_WORKER_RUNS), as on different machines: what one worker fired, another finds
// in the shared journal and never fires again.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { startDrill } from '../../src/cli/run.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import { resultsUrl } from '../../src/platform/local/components/results.ts';
import { ResultStore } from '../../src/results/store.ts';
import { FAULT_ENTRY, type JournalEntry } from '../../src/results/journal.ts';
import { PgFaultJournal } from '../../src/results/journal-pg.ts';
import { waitFor } from '../../src/util/wait.ts';
import { abortSignal } from '../../workflows/names.ts';
import { externalWorkers, useEngine } from './engine-harness.ts';

const engine = useEngine('e2e-durability', ['kafka'], { worker: false });
const workers = externalWorkers(() => engine.sandboxName);
const killWorker = workers.kill;

/** How the workers of a case are laid out: one at a time on the run's folder, or two on their own. */
type Layout = 'one worker' | 'two workers, own folders';
const LAYOUTS: Layout[] = ['one worker', 'two workers, own folders'];
const ownFolder = () => ({ FIREDRILL_WORKER_RUNS: mkdtempSync(join(tmpdir(), 'firedrill-worker-')) });
/** Starts the case's workers; answers the one to kill (in the two-worker layout, either would do). */
function spawnWorkers(layout: Layout) {
  if (layout === 'one worker') return workers.spawn();
  workers.spawn(ownFolder());
  return workers.spawn(ownFolder());
}
/** A worker to finish the drill: in the two-worker layout, a new one on a new disk. */
const spawnReplacement = (layout: Layout) =>
  layout === 'one worker' ? workers.spawn() : workers.spawn(ownFolder());

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
    workers.spawn();
    await open.signal(abortSignal, 'test cleanup');
    await open.result().catch(() => undefined);
  }
  workers.killAll();
}, 180_000);

/** The run's fault as the shared journal has it: what every worker reads. */
async function faultEntry(runId: string): Promise<JournalEntry | undefined> {
  const journal = await PgFaultJournal.connect(resultsUrl(engine.sandbox().component('results')));
  try {
    return await journal.entry(runId, FAULT_ENTRY);
  } finally {
    await journal.close();
  }
}
const waitForFault = (runId: string, states: JournalEntry['state'][]) =>
  waitFor(
    `the fault journaled as ${states.join(' or ')}`,
    async () => states.includes((await faultEntry(runId))?.state ?? 'planned'),
    { timeoutMs: 120_000, intervalMs: 20 },
  );

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

/** Fired once, reverted once, T0 as journaled: whatever worker did which step. */
async function expectOneFaultReverted(result: DrillResult) {
  const entry = (await faultEntry(result.runId))!;
  expect(entry.state).toBe('reverted');
  expect(result.timeline.filter((m) => m.marker === 'T0')).toHaveLength(1);
  expect(Date.parse(result.timeline.find((m) => m.marker === 'T0')!.at)).toBe(entry.t0);
}

describe.each(LAYOUTS)('durability, %s', (layout) => {
  it('(a) SIGKILL the worker right after injection: a new worker finishes the drill', async () => {
    const started = Date.now();
    const first = spawnWorkers(layout);
    const { input, component } = await engine.input({
      drill: 'kafka-broker-kill',
      variant: 'leader',
      options: { 'restart-after': '3s' },
    });
    const handle = (current = await startDrill(engine.client(), input, component));
    // T0 is marked just before the fault command is issued: a kill between the two leaves nothing
    // injected (the new worker then says `inject-resumed` and does not fire again). Kill once the
    // command has returned, so the broker is surely down with no worker watching it.
    await waitForFault(input.runId, ['fired']);
    killWorker(first);
    if (layout === 'one worker') expect(await brokersUp()).toBe(false); // in place, nobody watching
    spawnReplacement(layout);
    const result = (await handle.result()) as DrillResult;
    expect(['MET', 'BREACHED']).toContain(result.verdict);
    expect(result.rpo.lost).toBe(0);
    expect(await brokersUp()).toBe(true);
    expect((await recorded(input.runId))?.verdict).toBe(result.verdict);
    await expectOneFaultReverted(result);
    console.log(
      `durability (a, ${layout}): ${((Date.now() - started) / 1000).toFixed(1)} s, verdict ${result.verdict}, RTO ${result.rto.serviceMs} ms`,
    );
  });

  it('(b) abort mid-recovery: the fault is reverted at once and the verdict is ABORTED', async () => {
    const started = Date.now();
    spawnWorkers(layout);
    // The platform would take 10 minutes to bring the broker back: only the abort can.
    const { input, component } = await engine.input({
      drill: 'kafka-broker-kill',
      variant: 'leader',
      options: { 'restart-after': '10m' },
      deadline: '15m',
    });
    const handle = (current = await startDrill(engine.client(), input, component));
    await waitForFault(input.runId, ['firing', 'fired']);
    await new Promise((r) => setTimeout(r, 2_000));
    await handle.signal(abortSignal, 'red button pressed by the test');
    const result = (await handle.result()) as DrillResult;
    expect(result.verdict).toBe('ABORTED');
    expect(result.reason).toMatch(/red button/);
    expect(result.timeline.map((m) => m.marker)).toContain('reverted');
    expect(await brokersUp()).toBe(true);
    expect((await recorded(input.runId))?.verdict).toBe('ABORTED');
    await expectOneFaultReverted(result);
    expect(Date.now() - started).toBeLessThan(120_000);
    console.log(`durability (b, ${layout}): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('(c) the Temporal server restarts mid-drill (same database file): the drill finishes', async () => {
    const started = Date.now();
    spawnWorkers(layout);
    const { input, component } = await engine.input({
      drill: 'kafka-broker-kill',
      variant: 'leader',
      options: { 'restart-after': '3s' },
    });
    const handle = (current = await startDrill(engine.client(), input, component));
    await waitForFault(input.runId, ['firing', 'fired']);
    await engine.sandbox().kill('temporal');
    await new Promise((r) => setTimeout(r, 2_000));
    await engine.sandbox().restart('temporal');
    const result = (await handle.result()) as DrillResult;
    expect(['MET', 'BREACHED']).toContain(result.verdict);
    expect(result.rpo.lost).toBe(0);
    expect(await brokersUp()).toBe(true);
    expect((await recorded(input.runId))?.runId).toBe(input.runId);
    await expectOneFaultReverted(result);
    console.log(
      `durability (c, ${layout}): ${((Date.now() - started) / 1000).toFixed(1)} s, verdict ${result.verdict}`,
    );
  });
});
