// Waiting on a cluster in the Kubernetes e2e tests: a check retried until it answers, and what
// "Ready" means for a pod.
import type * as k8s from '@kubernetes/client-node';
import { sleep } from '../../src/util/wait.ts';

/** Retries `check` until it answers a value; a throw counts as "not yet" and is quoted on timeout. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export const podReady = (p: k8s.V1Pod) =>
  p.status?.phase === 'Running' &&
  !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
