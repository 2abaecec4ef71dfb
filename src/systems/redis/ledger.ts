// The drill ledger in Redis: one SET per record under its own key (unique keys, so a lost write is
// a missing key), read back with SCAN + MGET and a SHA-256 of each stored payload.
import { createHash } from 'node:crypto';
import type { ReadBackRecord } from '../../measure/types.ts';
import type { RedisClient } from './client.ts';
import type { RespValue } from './resp.ts';

/** Ledger keys live under this namespace, apart from canaries and anything else in the database. */
export const LEDGER_NAMESPACE = 'firedrill:ledger:';

export const redisKey = (ledgerKey: string) => `${LEDGER_NAMESPACE}${ledgerKey}`;

/** A literal for SCAN MATCH: Redis's glob characters escaped, so a prefix matches only itself. */
export function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** SET's reply to a plain SET is +OK; anything else means the write did not happen as asked. */
export function checkSetReply(reply: RespValue): void {
  if (reply !== 'OK') throw new Error(`SET answered ${JSON.stringify(String(reply))}, not OK`);
}

/** Pairs MGET's values with their keys: ledger key → payload SHA-256; nil (deleted since) skipped. */
export function hashValues(keys: readonly string[], values: RespValue): ReadBackRecord[] {
  if (!Array.isArray(values) || values.length !== keys.length)
    throw new Error(
      `MGET of ${keys.length} keys answered ${Array.isArray(values) ? values.length : typeof values} values`,
    );
  const out: ReadBackRecord[] = [];
  keys.forEach((k, i) => {
    const v = values[i];
    if (v === null || v === undefined) return;
    if (!Buffer.isBuffer(v)) throw new Error(`MGET answered a non-string value for ${k}`);
    out.push({ key: k.slice(LEDGER_NAMESPACE.length), sha256: createHash('sha256').update(v).digest('hex') });
  });
  return out;
}

/** Every ledger record whose key starts with `prefix`, as stored now. */
export async function readLedger(
  client: RedisClient,
  prefix: string,
  batch = 500,
): Promise<ReadBackRecord[]> {
  const match = `${globLiteral(redisKey(prefix))}*`;
  const keys = new Set<string>(); // SCAN may return a key twice
  let cursor = '0';
  do {
    const reply = await client.command(['SCAN', cursor, 'MATCH', match, 'COUNT', 1000], 15_000);
    if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1]))
      throw new Error('SCAN answered something other than [cursor, keys]');
    cursor = String(reply[0]);
    for (const k of reply[1]) keys.add(Buffer.isBuffer(k) ? k.toString('utf8') : String(k));
  } while (cursor !== '0');
  const all = [...keys].sort();
  const out: ReadBackRecord[] = [];
  for (let i = 0; i < all.length; i += batch) {
    const part = all.slice(i, i + batch);
    out.push(...hashValues(part, await client.command(['MGET', ...part], 15_000)));
  }
  return out;
}
