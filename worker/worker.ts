// Wires the worker: Temporal connection, the activities over src/, the workflows, logs, metrics.
// Used by the worker entrypoint (worker/main.ts) and in-process by the CLI.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, DefaultLogger, type LogLevel } from '@temporalio/worker';
import type pino from 'pino';
import { createDrillActivities } from '../activities/drill.ts';
import { createGameDayActivities } from '../activities/gameday.ts';
import { createKubernetesActivities } from '../activities/kubernetes.ts';
import { DrillMetrics, type FaultLeftEntry } from '../src/metrics/drill-metrics.ts';
import { instrumentActivities } from '../src/metrics/instrument.ts';
import { catalogueTargets } from '../src/metrics/seed.ts';
import { metricsPortFromEnv, serveMetrics, type MetricsServer } from '../src/metrics/server.ts';
import { resultsDatabaseUrl } from '../src/results/locate.ts';
import type { FaultJournal } from '../src/results/journal.ts';
import { PgFaultJournal } from '../src/results/journal-pg.ts';
import { PgSharedEvidence } from '../src/results/evidence-pg.ts';
import { createLogger } from '../src/util/log.ts';
import { TASK_QUEUE, parseTargetKey } from '../workflows/names.ts';
import { workflowBundle } from './bundle.ts';
import type { DrillResult } from '../src/measure/types.ts';

export interface WorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  log?: pino.Logger;
  onResult?: (result: DrillResult) => void;
  /** The worker's metrics (default: a fresh registry with Node's defaults). */
  metrics?: DrillMetrics;
  /**
   * Serve /metrics on 127.0.0.1:<port> (0 = off). Default: FIREDRILL_METRICS_PORT when set, else
   * off — the worker entrypoint (worker/main.ts) defaults it to 9464.
   */
  metricsPort?: number;
  /**
   * This worker's own folder for run evidence (FIREDRILL_WORKER_RUNS), in place of the one each run
   * names: as a worker on another machine or pod has. Default: the run's.
   */
  runFolderRoot?: string;
  /** Activities at once (FIREDRILL_WORKER_ACTIVITIES, default 16): a drill runs up to three. */
  maxActivities?: number;
}

export interface RunningWorker {
  worker: Worker;
  client: Client;
  metrics: DrillMetrics;
  /** Set when /metrics is served. */
  metricsServer?: MetricsServer;
  run: Promise<void>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const log = opts.log ?? createLogger({ component: 'worker' });
  if (!runtimeInstalled) {
    // The SDK's own logs go through pino too, at warn, so a drill's output stays readable. The
    // runtime is a process-wide singleton: if something created it first, keep that one.
    // Signals are the process's owner's: worker/main.ts shuts down on them, while the CLI's
    // in-process worker must outlive a Ctrl-C until the drill it runs has reverted its fault.
    // The native core's logs are forwarded here too: printed by the core they went to stdout,
    // after `firedrill run --json`'s record (seen: a late activity completion after an abort).
    try {
      Runtime.install({
        shutdownSignals: [],
        telemetryOptions: { logging: { forward: {} } },
        logger: new DefaultLogger((process.env.FIREDRILL_SDK_LOG_LEVEL ?? 'WARN') as LogLevel, (entry) =>
          log.warn({ sdk: entry.meta }, entry.message),
        ),
      });
    } catch (err) {
      if ((err as Error).name !== 'IllegalStateError') throw err;
    }
    runtimeInstalled = true;
  }
  const namespace = opts.namespace ?? 'default';
  const connection = await NativeConnection.connect({ address: opts.address });
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection, namespace });
  const metrics = opts.metrics ?? new DrillMetrics();
  await catalogueTargets().then(
    (t) => metrics.describeDrills(t),
    (err: Error) => log.warn({ error: err.message }, 'drill targets not in the metrics'),
  );
  // One pool per results database, shared by every step this worker runs.
  const journals = new Map<string, Promise<FaultJournal>>();
  const journalAt = (url: string) => {
    let j = journals.get(url);
    if (!j) {
      j = PgFaultJournal.connect(url);
      j.catch(() => journals.delete(url)); // unreachable now: try again on the next step
      journals.set(url, j);
    }
    return j;
  };
  const evidence = new Map<string, PgSharedEvidence>();
  const evidenceAt = (url: string) => {
    let e = evidence.get(url);
    if (!e) evidence.set(url, (e = PgSharedEvidence.open(url)));
    return e;
  };
  const activities = {
    ...createDrillActivities({
      log,
      client,
      databaseUrl: (input) => resultsDatabaseUrl(input.platform.sandbox),
      journal: (input) => journalAt(resultsDatabaseUrl(input.platform.sandbox)),
      evidence: (input) => evidenceAt(resultsDatabaseUrl(input.platform.sandbox)),
      runFolderRoot: opts.runFolderRoot ?? (process.env.FIREDRILL_WORKER_RUNS || undefined),
      onResult: (result) => {
        metrics.recordResult(result);
        opts.onResult?.(result);
      },
    }),
    ...createGameDayActivities({ log }),
    ...createKubernetesActivities({ log, client }),
  };
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowBundle: workflowBundle(),
    activities: instrumentActivities(activities, metrics),
    // Two cores: a few activities at once is plenty (ledger + watch + remediation run together).
    maxConcurrentActivityTaskExecutions:
      opts.maxActivities ?? (Number(process.env.FIREDRILL_WORKER_ACTIVITIES) || 16),
  });
  const port = opts.metricsPort ?? metricsPortFromEnv(process.env, null);
  const metricsServer = port ? await serveMetrics(metrics.registry, { port, log }) : undefined;
  // The faults left in place, from the journal, for the alert rule (FiredrillFaultLeftInPlace):
  // read by a worker that serves /metrics, at start and every 30 s.
  const refreshFaultsLeft = async () => {
    const urls = new Set(journals.keys());
    try {
      urls.add(resultsDatabaseUrl(process.env.FIREDRILL_SANDBOX));
    } catch {
      /* no results database known yet */
    }
    const left: FaultLeftEntry[] = [];
    for (const url of urls) {
      const journal = await journalAt(url).catch(() => undefined);
      for (const e of (await journal?.unreverted()) ?? [])
        if (e.state === 'left')
          left.push({ target: parseTargetKey(e.target)?.target ?? e.target, drill: e.drill, runId: e.runId });
    }
    metrics.setFaultsLeft(left);
  };
  const faultsTimer = metricsServer
    ? setInterval(() => void refreshFaultsLeft().catch(() => {}), 30_000).unref()
    : undefined;
  if (metricsServer) void refreshFaultsLeft().catch(() => {});
  const run = worker.run();
  log.info({ address: opts.address, taskQueue: opts.taskQueue ?? TASK_QUEUE }, 'worker started');
  return {
    worker,
    client,
    metrics,
    metricsServer,
    run,
    async stop() {
      clearInterval(faultsTimer);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run.catch(() => {});
      await metricsServer?.close();
      await connection.close().catch(() => {});
      await clientConnection.close().catch(() => {});
      for (const j of journals.values()) await (await j.catch(() => undefined))?.close();
      for (const e of evidence.values()) await e.close().catch(() => {});
    },
  };
}
