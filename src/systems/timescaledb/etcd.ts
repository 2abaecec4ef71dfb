// Patroni's DCS in etcd through the v3 JSON gateway: its keys live under /service/<scope>/
// (leader, members/…, optime/…, initialize, sync, config…); keys and values are base64.

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** etcd's own GET /health says it serves. */
export async function etcdHealthy(etcdUrl: string, timeoutMs = 1_000): Promise<boolean> {
  const res = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  return res.ok && ((await res.json()) as { health?: string }).health === 'true';
}

/** Patroni's keys for the cluster `scope`. */
export async function patroniKeys(etcdUrl: string, scope: string): Promise<string[]> {
  const prefix = `/service/${scope}/`;
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const res = await fetch(`${etcdUrl}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(prefix), range_end: b64(end), keys_only: true }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`etcd range ${prefix}: HTTP ${res.status}`);
  const body = (await res.json()) as { kvs?: { key: string }[] };
  return (body.kvs ?? []).map((kv) => Buffer.from(kv.key, 'base64').toString());
}

/** The keys holding the cluster's state, not its configuration: what `patronictl remove` deletes. */
export const clusterStateKeys = (keys: string[]): string[] => keys.filter((k) => !k.endsWith('/config'));

export async function deleteKey(etcdUrl: string, key: string): Promise<void> {
  const res = await fetch(`${etcdUrl}/v3/kv/deleterange`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(key) }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`etcd delete ${key}: HTTP ${res.status}`);
}
