// Wires the worker: Temporal connection, the activities over src/, the workflows, logs, metrics.
// Used by the worker entrypoint (worker/main.ts) and in-process by the CLI.
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, DefaultLogger, type LogLevel } from '@temporalio/worker';
import type pino from 'pino';
import { createDrillActivities } from '../activities/drill.ts';
import { resultsDatabaseUrl } from '../src/results/locate.ts';
import { createLogger } from '../src/util/log.ts';
import { TASK_QUEUE } from '../workflows/names.ts';
import type { DrillResult } from '../src/measure/types.ts';

export interface WorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  log?: pino.Logger;
  onResult?: (result: DrillResult) => void;
}

export interface RunningWorker {
  worker: Worker;
  client: Client;
  run: Promise<void>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const log = opts.log ?? createLogger({ component: 'worker' });
  if (!runtimeInstalled) {
    // The SDK's own logs go through pino too, at warn, so a drill's output stays readable.
    Runtime.install({ logger: new DefaultLogger((process.env.FIREDRILL_SDK_LOG_LEVEL ?? 'WARN') as LogLevel, (entry) => log.warn({ sdk: entry.meta }, entry.message)) });
    runtimeInstalled = true;
  }
  const namespace = opts.namespace ?? 'default';
  const connection = await NativeConnection.connect({ address: opts.address });
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection, namespace });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    activities: createDrillActivities({
      log,
      client,
      databaseUrl: (input) => resultsDatabaseUrl(input.platform.sandbox),
      onResult: opts.onResult,
    }),
    // Two cores: a few activities at once is plenty (ledger + watch + remediation run together).
    maxConcurrentActivityTaskExecutions: 16,
  });
  const run = worker.run();
  log.info({ address: opts.address, taskQueue: opts.taskQueue ?? TASK_QUEUE }, 'worker started');
  return {
    worker,
    client,
    run,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run.catch(() => {});
      await connection.close().catch(() => {});
      await clientConnection.close().catch(() => {});
    },
  };
}
