// The worker process (worker/main.ts) serves /metrics on 127.0.0.1 while it runs drills: a
// calibration drill shows up as a run by verdict, last RTO/RPO against target, phase durations and
// in-progress; its logs are pino JSON lines with the run and workflow ids bound, and the results
// database's password never appears in them.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startDrill } from '../../src/cli/run.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import { waitFor } from '../../src/util/wait.ts';
import { useEngine } from './engine-harness.ts';
import { spawnWorkerProcess } from '../../worker/spawn.ts';

const engine = useEngine('e2e-metrics', ['calibration'], { worker: false });
let worker: ChildProcess | undefined;
const logLines: string[] = [];

afterAll(() => {
  if (worker?.pid) process.kill(-worker.pid, 'SIGKILL');
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The value of one sample in the exposition text. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('worker metrics and logs', () => {
  it('a calibration drill through a worker process shows in /metrics and in its JSON logs', async () => {
    const port = await freePort();
    worker = spawnWorkerProcess(
      {
        FIREDRILL_SANDBOX: engine.sandboxName,
        FIREDRILL_METRICS_PORT: String(port),
        FIREDRILL_LOG_LEVEL: 'info',
      },
      ['ignore', 'inherit', 'pipe'],
    );
    let partial = '';
    worker.stderr!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop()!;
      logLines.push(...lines.filter(Boolean));
    });
    const url = `http://127.0.0.1:${port}/metrics`;
    const before = await waitFor('the worker to serve /metrics', async () => (await fetch(url)).text(), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    expect(sample(before, 'firedrill_drill_target_rto_seconds', { drill: 'calibration' })).toBe(30);
    expect(
      sample(before, 'firedrill_drill_runs_total', {
        drill: 'calibration',
        variant: 'outage',
        verdict: 'BREACHED',
      }),
    ).toBe(0);
    expect(sample(before, 'process_resident_memory_bytes', {})).toBeGreaterThan(0);

    const { input, component } = await engine.input({ drill: 'calibration', options: { outage: '1500ms' } });
    const handle = await startDrill(engine.client(), input, component);
    const during = await waitFor(
      'the drill to be in progress',
      async () => {
        const t = await (await fetch(url)).text();
        return sample(t, 'firedrill_drills_in_progress', { drill: 'calibration' }) === 1 ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(during).toBeTruthy();
    const result = (await handle.result()) as DrillResult;
    expect(result.verdict).toBe('MET');

    const after = await (await fetch(url)).text();
    const l = { drill: 'calibration', variant: 'outage' };
    expect(sample(after, 'firedrill_drill_runs_total', { ...l, verdict: 'MET' })).toBe(1);
    expect(sample(after, 'firedrill_drill_last_rto_service_seconds', l)).toBeCloseTo(
      result.rto.serviceMs! / 1000,
      3,
    );
    expect(sample(after, 'firedrill_drill_last_rpo_lost_writes', l)).toBe(0);
    expect(sample(after, 'firedrill_drill_last_rpo_seconds', l)).toBe(0);
    expect(sample(after, 'firedrill_drill_last_verdict', { ...l, verdict: 'MET' })).toBe(1);
    expect(sample(after, 'firedrill_drill_last_met_timestamp_seconds', { drill: 'calibration' })).toBeCloseTo(
      Date.parse(result.finishedAt) / 1000,
      0,
    );
    expect(sample(after, 'firedrill_drills_in_progress', { drill: 'calibration' })).toBe(0);
    for (const phase of [
      'validate',
      'preflight',
      'steady-state',
      'ledger-warmup',
      'inject',
      'recover',
      'verify',
      'compensate',
      'record',
    ]) {
      expect(
        sample(after, 'firedrill_drill_phase_duration_seconds_count', {
          drill: 'calibration',
          phase,
          outcome: 'ok',
        }),
        phase,
      ).toBeGreaterThanOrEqual(1);
    }
    const recover = sample(after, 'firedrill_drill_phase_duration_seconds_sum', {
      drill: 'calibration',
      phase: 'recover',
    })!;
    expect(recover).toBeGreaterThan(1.5); // the outage itself

    // Logs: JSON lines, the drill's carry its run and workflow ids; no secret of the results database.
    const records = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const planned = records.find((r) => r.msg === 'drill planned');
    expect(planned).toMatchObject({
      app: 'firedrill',
      runId: input.runId,
      drill: 'calibration',
      workflowId: handle.workflowId,
    });
    expect(records.find((r) => r.msg === 'drill recorded')).toMatchObject({
      runId: input.runId,
      workflowId: handle.workflowId,
      verdict: 'MET',
    });
    expect(records.find((r) => r.msg === 'metrics served')).toMatchObject({ url });
    const password = String(engine.sandbox().component('results').info.password);
    expect(password.length).toBeGreaterThan(4);
    expect(logLines.join('\n')).not.toContain(password);
    console.log(
      `metrics: worker RSS ${(sample(after, 'process_resident_memory_bytes', {})! / 1e6).toFixed(0)} MB after a drill, ${logLines.length} log lines`,
    );
  });
});
