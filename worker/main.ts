// The worker entrypoint: `tsx worker/main.ts`. Finds Temporal through TEMPORAL_ADDRESS, or the
// local sandbox (FIREDRILL_SANDBOX, default "default").
import { Sandbox } from '../src/platform/local/sandbox.ts';
import { createLogger } from '../src/util/log.ts';
import { startWorker } from './worker.ts';

const log = createLogger({ component: 'worker', pid: process.pid });
const address = process.env.TEMPORAL_ADDRESS ?? Sandbox.open({ name: process.env.FIREDRILL_SANDBOX ?? 'default' }).endpoints().temporal?.address;
if (!address) {
  log.error('no Temporal address: set TEMPORAL_ADDRESS or start the sandbox with temporal');
  process.exit(2);
}
const running = await startWorker({ address, namespace: process.env.TEMPORAL_NAMESPACE, log });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    void running.stop();
  });
}
await running.run;
