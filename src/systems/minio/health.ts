// MinIO's health endpoints, as one node answers them: liveness, and the cluster's write and read
// quorum as that node sees it.

/** Status of a plain GET; throws when the node does not answer at all (refused, timed out). */
async function httpStatus(nodeUrl: string, path: string, timeoutMs = 2_000): Promise<number> {
  const res = await fetch(`${nodeUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer().catch(() => {});
  return res.status;
}

export const live = async (nodeUrl: string) => (await httpStatus(nodeUrl, '/minio/health/live')) === 200;

/** Write quorum as the node sees it (200 only when enough drives answer for a write). */
export const clusterWritable = async (nodeUrl: string) =>
  (await httpStatus(nodeUrl, '/minio/health/cluster')) === 200;

/** What a member's health detail says when the cluster takes writes (see nodeHealth). */
export const WRITE_QUORUM = 'write quorum';

/**
 * One node's health: down when it fails its liveness probe or does not answer; up otherwise, with
 * the quorum it sees ("live; cluster: write quorum", "… read quorum only (writes refused)", "… no quorum").
 */
export async function nodeHealth(nodeUrl: string): Promise<{ up: boolean; detail: string }> {
  try {
    if (!(await live(nodeUrl))) return { up: false, detail: 'liveness probe failed' };
    const write = await httpStatus(nodeUrl, '/minio/health/cluster');
    const read = await httpStatus(nodeUrl, '/minio/health/cluster/read');
    const quorum =
      write === 200 ? WRITE_QUORUM : read === 200 ? 'read quorum only (writes refused)' : 'no quorum';
    return { up: true, detail: `live; cluster: ${quorum}` };
  } catch (err) {
    return {
      up: false,
      detail: (err as Error).cause
        ? String((err as Error & { cause: unknown }).cause)
        : (err as Error).message,
    };
  }
}
