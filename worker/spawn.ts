// Starts worker/main.ts as its own process, the way production runs it (`npm run worker`): with
// the memory flags and environment of worker/memory.ts. Used by the bench and the e2e tests.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WORKER_ENV, WORKER_NODE_FLAGS } from './memory.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = fileURLToPath(new URL('main.ts', import.meta.url));

/**
 * `env` is added to this process's environment (FIREDRILL_SANDBOX, FIREDRILL_METRICS_PORT, …).
 * The child leads its own process group (detached), so `process.kill(-pid)` stops all of it.
 */
export function spawnWorkerProcess(
  env: Record<string, string>,
  stdio: StdioOptions = ['ignore', 'inherit', 'inherit'],
): ChildProcess {
  return spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...WORKER_ENV, ...env },
    stdio,
    detached: true,
  });
}
