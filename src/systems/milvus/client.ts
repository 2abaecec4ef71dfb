// The Milvus client (gRPC, through the proxy) for the drills and the sandbox driver alike, and how
// Milvus says a request failed: a status in the answer, not an exception.
import { ErrorCode, MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { Platform } from '../../platform/platform.ts';

export const COMPONENT = 'milvus';

export type { MilvusClient };

/** No retries: a refused request must show up as refused. Connects lazily for the caller. */
export function milvusClient(address: string, timeoutMs: number): MilvusClient {
  const c = new MilvusClient({ address, timeout: timeoutMs, maxRetries: 0, logLevel: 'error' });
  c.connectPromise.catch(() => {}); // the constructor connects eagerly; a failure shows up on first use
  return c;
}

/** A client for the platform's Milvus (its proxy address). */
export const clientFor = (platform: Platform, timeoutMs = 10_000): MilvusClient =>
  milvusClient(platform.endpoints(COMPONENT).address!, timeoutMs);

export class MilvusStatusError extends Error {
  constructor(
    readonly code: string | number,
    what: string,
    reason: string,
  ) {
    super(`${what}: ${code}: ${reason}`);
  }
}

/** The status itself when it says success; a MilvusStatusError otherwise. */
export function ok<T extends { error_code?: string | number; reason?: string }>(status: T, what: string): T {
  if (status.error_code !== undefined && status.error_code !== ErrorCode.SUCCESS)
    throw new MilvusStatusError(status.error_code, what, status.reason ?? '');
  return status;
}

/** A write that certainly kept nothing: a status the proxy answered with (not a timeout), or no connection. */
export function isDefiniteFailure(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err);
  return err instanceof MilvusStatusError || /ECONNREFUSED|UNAVAILABLE|No connection established/.test(msg);
}

/** CheckHealth through the proxy: true, or what it said instead. */
export async function checkHealth(address: string): Promise<string | true> {
  const c = milvusClient(address, 3_000);
  try {
    const res = await c.checkHealth();
    return res.isHealthy ? true : `unhealthy: ${res.reasons.join('; ') || 'no reason given'}`;
  } finally {
    c.closeConnection();
  }
}

/** The server's own version (GetVersion), or undefined when it does not say. */
export async function serverVersion(address: string): Promise<string | undefined> {
  const c = milvusClient(address, 3_000);
  try {
    return (await c.getVersion()).version;
  } catch {
    return undefined; // informative only
  } finally {
    c.closeConnection();
  }
}

/** Milvus up as the platform reports it: every member healthy, and at least one. */
export async function milvusUp(platform: Platform): Promise<boolean> {
  return (
    (await platform.health(COMPONENT).catch(() => [])).every((h) => h.up) &&
    platform.members(COMPONENT).length > 0
  );
}
