// The Milvus ledger: one entity per record in the collection's `ledger` partition (its own ids,
// its payload in hex), inserted in batches and read back paged by id.
import { createHash } from 'node:crypto';
import { ConsistencyLevelEnum, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { LedgerRecord } from '../../drill/definition.ts';
import type { ReadBackRecord } from '../../measure/types.ts';
import { ok } from './client.ts';
import { LEDGER_PARTITION } from './collection.ts';

/** Ledger entity ids start here: far above any dataset id. */
export const LEDGER_ID_BASE = 1_000_000_000_000;

export const ledgerId = (runId: string, id: number) =>
  LEDGER_ID_BASE +
  (parseInt(createHash('sha256').update(runId).digest('hex').slice(0, 6), 16) % 1_000_000) * 1_000_000 +
  id;

export const payloadSha = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');

/** The records in one insert: acknowledged together, or not at all. Vectors: the queries, in turn. */
export async function insertLedger(
  c: MilvusClient,
  collection: string,
  runId: string,
  vectors: Float32Array[],
  records: LedgerRecord[],
): Promise<{ position: string }[]> {
  const data = records.map((record) => ({
    id: ledgerId(runId, record.id),
    vec: Array.from(vectors[record.id % vectors.length]!),
    key: record.key,
    payload: record.payload.toString('hex'),
  }));
  const r = await c.insert({ collection_name: collection, partition_name: LEDGER_PARTITION, data });
  ok(r.status, 'insert');
  // A partial insert is not a refusal: which rows are kept is for the read-back to say (unknown).
  if (Number(r.insert_cnt) !== records.length)
    throw new Error(`insert acknowledged ${String(r.insert_cnt)} of ${records.length} rows`);
  return data.map((d) => ({ position: `id ${d.id}` }));
}

/** Every ledger entity whose key starts with `prefix`, paged by id however many there are. */
export async function readLedger(
  c: MilvusClient,
  collection: string,
  prefix: string,
): Promise<ReadBackRecord[]> {
  const out: ReadBackRecord[] = [];
  let after = -1;
  for (;;) {
    const res = await c.query({
      collection_name: collection,
      partition_names: [LEDGER_PARTITION],
      filter: `id > ${after} and key like "${prefix}%"`,
      output_fields: ['id', 'key', 'payload'],
      limit: 5_000,
      consistency_level: ConsistencyLevelEnum.Strong,
    } as Parameters<MilvusClient['query']>[0]);
    ok(res.status, 'query ledger');
    const rows = res.data as { id: string; key: string; payload: string }[];
    for (const r of rows) out.push({ key: r.key, sha256: payloadSha(r.payload) });
    if (rows.length < 5_000) break;
    after = Math.max(...rows.map((r) => Number(r.id)));
  }
  return out;
}
