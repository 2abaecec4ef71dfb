// The worker entrypoint: `npm run worker`, i.e. `node <WORKER_NODE_FLAGS> --import tsx worker/main.ts`
// (the flags keep it within its memory budget: worker/memory.ts). Finds Temporal through
// TEMPORAL_ADDRESS, or the local sandbox (FIREDRILL_SANDBOX, default "default").
// Serves /metrics on 127.0.0.1:FIREDRILL_METRICS_PORT (default 9464, 0 = off).
import { seedFromResults } from '../src/metrics/seed.ts';
import { metricsPortFromEnv } from '../src/metrics/server.ts';
import { Sandbox } from '../src/platform/local/sandbox.ts';
import { resultsDatabaseUrl } from '../src/results/locate.ts';
import { createLogger } from '../src/util/log.ts';
import { checkSandboxName } from '../src/util/names.ts';
import { missingMemorySettings } from './memory.ts';
import { startWorker } from './worker.ts';

// The AWS SDK's Node-version notice, switched off as the CLI does (src/cli/main.ts says why): a
// worker started on its own (npm run worker, deploy/runner) would otherwise print it per client.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const log = createLogger({ component: 'worker', pid: process.pid });
const untuned = missingMemorySettings();
if (untuned.length)
  log.warn(
    { missing: untuned },
    'the worker was started without its memory settings and may exceed its 300 MB budget: start it with `npm run worker`',
  );
// A path under the sandboxes folder: refused, naming the variable, unless it is a sandbox name.
const sandboxName = (() => {
  try {
    return checkSandboxName(process.env.FIREDRILL_SANDBOX ?? 'default', 'FIREDRILL_SANDBOX');
  } catch (err) {
    log.error((err as Error).message);
    process.exit(2);
  }
})();
const address =
  process.env.TEMPORAL_ADDRESS ?? Sandbox.open({ name: sandboxName }).endpoints().temporal?.address;
if (!address) {
  log.error('no Temporal address: set TEMPORAL_ADDRESS or start the sandbox with temporal');
  process.exit(2);
}
const running = await startWorker({
  address,
  namespace: process.env.TEMPORAL_NAMESPACE,
  log,
  metricsPort: metricsPortFromEnv(),
});
// The last results on record, so the gauges (and the "no MET run in 7 days" alert) survive a restart.
void Promise.resolve()
  .then(() => seedFromResults(running.metrics, resultsDatabaseUrl(sandboxName)))
  .then((n) => log.info({ runs: n }, 'metrics seeded from the results database'))
  .catch((err: Error) => log.warn({ error: err.message }, 'metrics not seeded from the results database'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    void running.stop();
  });
}
await running.run;
