// A sandbox plus an in-process worker for engine tests, and a helper that runs one drill through
// drillWorkflow exactly as `firedrill run` does.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import type { DrillInput } from '../../activities/types.ts';
import { planFor, startDrill } from '../../src/cli/run.ts';
import { newRunId } from '../../src/util/runs.ts';
import type { RunRequest } from '../../src/drill/validate.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import type { ComponentName } from '../../src/platform/local/types.ts';
import { createLogger } from '../../src/util/log.ts';
import { startWorker, type RunningWorker } from '../../worker/worker.ts';
import { spawnWorkerProcess } from '../../worker/spawn.ts';

export interface Engine {
  sandbox: () => Sandbox;
  client: () => Client;
  reportsDir: string;
  sandboxName: string;
  input(req: RunRequest, component?: string): Promise<{ input: DrillInput; component: string }>;
  run(req: RunRequest): Promise<DrillResult>;
}

export function useEngine(
  name: string,
  components: ComponentName[],
  opts: { worker?: boolean } = {},
): Engine {
  let sandbox: Sandbox | undefined;
  let worker: RunningWorker | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  const reportsDir = mkdtempSync(join(tmpdir(), `firedrill-${name}-`));

  beforeAll(async () => {
    if (Sandbox.exists({ name })) await Sandbox.open({ name }).down();
    sandbox = await Sandbox.up({
      name,
      only: ['results', 'temporal', ...components],
      deleteHistory: true, // no schedules, workflows or runs left by an earlier test run
      log: (m) => console.log(`[sandbox ${name}] ${m}`),
    });
    const address = sandbox.endpoints().temporal!.address!;
    if (opts.worker !== false)
      worker = await startWorker({ address, log: createLogger({ component: 'worker' }) });
    connection = await Connection.connect({ address });
    client = new Client({ connection });
  });
  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await sandbox?.down();
  });

  const engine: Engine = {
    // Re-read each time: the worker kills and restarts members, and records their new pids.
    sandbox: () => Sandbox.open({ name }),
    client: () => client!,
    reportsDir,
    sandboxName: name,
    async input(req) {
      const plan = await planFor(req);
      return {
        component: plan.target, // what startDrill holds: the component, or one instance of it
        input: {
          ...req,
          runId: newRunId(plan.drill, plan.variant),
          variant: plan.variant,
          options: plan.options, // as the CLI sends them: checked and typed, never the raw strings
          platform: { kind: 'local', sandbox: name },
          reportsDir,
        },
      };
    },
    async run(req) {
      const { input, component } = await engine.input(req);
      const handle = await startDrill(client!, input, component);
      return (await handle.result()) as DrillResult;
    },
  };
  return engine;
}

/**
 * Worker processes for a sandbox, as in production: separate processes that a test can SIGKILL.
 * They serve no /metrics (several may run at once). `killAll` ends whatever is left.
 */
export function externalWorkers(sandboxName: () => string) {
  const running: ChildProcess[] = [];
  const kill = (child: ChildProcess) => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  return {
    /** `env` over the defaults, e.g. FIREDRILL_WORKER_RUNS: a worker with its own disk. */
    spawn(env: Record<string, string> = {}): ChildProcess {
      const child = spawnWorkerProcess({
        FIREDRILL_SANDBOX: sandboxName(),
        FIREDRILL_LOG_LEVEL: 'warn',
        FIREDRILL_METRICS_PORT: '0',
        ...env,
      });
      running.push(child);
      return child;
    },
    kill,
    killAll(): void {
      for (const w of running.splice(0)) kill(w);
    },
    last: () => running.at(-1),
  };
}

/** The refusal a run meets (its cause's message); fails when the run goes ahead and gets a verdict. */
export async function refusal(engine: Engine, req: Parameters<Engine['run']>[0]): Promise<string> {
  try {
    const r = await engine.run(req);
    throw new Error(`expected a refusal, got verdict ${r.verdict}`);
  } catch (err) {
    return String((err as Error).cause ?? err);
  }
}
