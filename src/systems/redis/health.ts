// One Redis server's health as its own protocol says: PING answered, the dataset loaded, and what
// its persistence is doing — the detail `sandbox status` prints.
import type { RedisClient } from './client.ts';

export interface ServerHealth {
  up: boolean;
  detail: string;
  /** INFO persistence, for callers that judge more than up/down (a drill's full recovery). */
  persistence: Record<string, string>;
}

export async function serverHealth(client: RedisClient, now = Date.now()): Promise<ServerHealth> {
  const pong = await client.text(['PING'], 1_000);
  const p = await client.info('persistence', 1_000);
  const keys = Number((await client.command(['DBSIZE'], 1_000)) ?? 0);
  if (pong !== 'PONG') return { up: false, detail: `PING answered ${pong}`, persistence: p };
  if (p.loading === '1') return { up: false, detail: 'loading its dataset from disk', persistence: p };
  const aof =
    p.aof_enabled === '1'
      ? `AOF on${p.aof_rewrite_in_progress === '1' ? ' (rewriting)' : ''}, last write ${p.aof_last_write_status}`
      : 'AOF off';
  // rdb_last_save_time is the start time until a first save: rdb_saves says whether one happened.
  const rdb =
    Number(p.rdb_saves ?? 0) > 0
      ? `last RDB save ${Math.max(0, Math.round(now / 1000 - Number(p.rdb_last_save_time)))} s ago`
      : 'no RDB save since start';
  return { up: true, detail: `PONG; ${keys} keys; ${aof}; ${rdb}`, persistence: p };
}
