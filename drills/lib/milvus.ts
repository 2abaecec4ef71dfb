// Milvus helpers shared by the Milvus drills: the seeded dataset and its ground truth, recall@10
// measured against it, the ledger's partition, and the rebuild runbook.
import { createHash } from 'node:crypto';
import { ConsistencyLevelEnum, DataType, ErrorCode, MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { DrillEnv } from '../../src/drill/definition.ts';
import { clusteredVectors, exactKnn, meanRecall } from '../../src/vector/recall.ts';
import { sleep } from '../../src/util/wait.ts';

export const COMPONENT = 'milvus';
export const DEFAULT_COLLECTION = 'firedrill_ann';
export const DIM = 128;
export const K = 10;
export const LEDGER_PARTITION = 'ledger';
/** The dataset lives in the default partition; searches for recall stay inside it. */
export const DATASET_PARTITION = '_default';
/** Ledger entity ids start here: far above any dataset id. */
export const LEDGER_ID_BASE = 1_000_000_000_000;

export interface Dataset {
  rows: number;
  seed: number;
  queries: Float32Array[];
  truth: number[][];
  data: Float32Array[];
}

const datasets = new Map<string, Dataset>();

/** The seeded dataset (rows × 128, clustered) and its exact top-10 for each query, memoised. */
export function dataset(rows: number, queries: number, seed: number): Dataset {
  const key = `${rows}/${queries}/${seed}`;
  let d = datasets.get(key);
  if (!d) {
    const all = clusteredVectors(rows + queries, DIM, seed, 128, 0.35);
    const data = all.slice(0, rows);
    const qs = all.slice(rows);
    d = { rows, seed, data, queries: qs, truth: qs.map((q) => exactKnn(data, q, K)) };
    datasets.set(key, d);
  }
  return d;
}

export function client(env: DrillEnv, timeoutMs = 10_000): MilvusClient {
  const c = new MilvusClient({
    address: env.platform.endpoints(COMPONENT).address!,
    timeout: timeoutMs,
    maxRetries: 0,
    logLevel: 'error',
  });
  c.connectPromise.catch(() => {});
  return c;
}

export class MilvusStatusError extends Error {
  constructor(
    readonly code: string | number,
    what: string,
    reason: string,
  ) {
    super(`${what}: ${code}: ${reason}`);
  }
}

export function ok<T extends { error_code?: string | number; reason?: string }>(status: T, what: string): T {
  if (status.error_code !== undefined && status.error_code !== ErrorCode.SUCCESS)
    throw new MilvusStatusError(status.error_code, what, status.reason ?? '');
  return status;
}

export interface IndexSpec {
  type: string;
  params: Record<string, number>;
  search: Record<string, number>;
}

export function indexSpec(type: string): IndexSpec {
  switch (type) {
    case 'HNSW':
      return { type, params: { M: 16, efConstruction: 64 }, search: { ef: 32 } };
    case 'IVF_FLAT':
      return { type, params: { nlist: 128 }, search: { nprobe: 8 } };
    default:
      return { type, params: { nlist: 128 }, search: { nprobe: 8 } };
  }
}

export function fields() {
  return [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
    { name: 'vec', data_type: DataType.FloatVector, dim: DIM },
    { name: 'key', data_type: DataType.VarChar, max_length: 256 },
    { name: 'payload', data_type: DataType.VarChar, max_length: 1024 },
  ];
}

/** Search one query vector in the dataset partition: the ids of the top k. */
export async function searchIds(
  c: MilvusClient,
  collection: string,
  vector: Float32Array,
  spec: IndexSpec,
  timeoutMs?: number,
): Promise<number[]> {
  const res = await c.search({
    collection_name: collection,
    partition_names: [DATASET_PARTITION],
    vector: Array.from(vector),
    limit: K,
    metric_type: 'L2',
    params: spec.search,
    // The dataset is flushed and never written again: no need to wait for newer timestamps.
    consistency_level: ConsistencyLevelEnum.Eventually,
    timeout: timeoutMs,
  } as Parameters<MilvusClient['search']>[0]);
  ok(res.status, 'search');
  return res.results.map((r) => Number(r.id));
}

/** recall@10 over every query of the dataset, against the brute-force truth. */
export async function measureRecall(
  c: MilvusClient,
  collection: string,
  d: Dataset,
  spec: IndexSpec,
): Promise<number> {
  const answers: number[][] = [];
  for (const q of d.queries) answers.push(await searchIds(c, collection, q, spec));
  return meanRecall(answers, d.truth, K);
}

export async function indexState(
  c: MilvusClient,
  collection: string,
): Promise<
  { type?: string; state?: string; indexed: number; total: number; failReason?: string } | undefined
> {
  const res = await c.describeIndex({ collection_name: collection, field_name: 'vec' });
  if (res.status.error_code !== ErrorCode.SUCCESS) return undefined; // no index
  const d = res.index_descriptions[0];
  if (!d) return undefined;
  return {
    type: d.params.find((p) => p.key === 'index_type')?.value as string | undefined,
    state: String(d.state),
    indexed: Number(d.indexed_rows),
    total: Number(d.total_rows),
    failReason: d.index_state_fail_reason,
  };
}

/** Creates the index and waits until it covers every row (state Finished). */
export async function buildIndex(
  c: MilvusClient,
  collection: string,
  spec: IndexSpec,
  timeoutMs = 300_000,
): Promise<void> {
  ok(
    await c.createIndex({
      collection_name: collection,
      field_name: 'vec',
      index_type: spec.type,
      metric_type: 'L2',
      params: spec.params,
    }),
    `createIndex ${spec.type}`,
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await indexState(c, collection);
    if (s?.state === 'Finished' && s.indexed >= s.total) return;
    if (s?.state === 'Failed') throw new Error(`the ${spec.type} index build failed: ${s.failReason}`);
    if (Date.now() > deadline)
      throw new Error(`the ${spec.type} index was not built within ${timeoutMs} ms (${JSON.stringify(s)})`);
    await sleep(500);
  }
}

/** Loads the collection and waits for 100 %, or throws with the progress it got stuck at. */
export async function loadAndWait(c: MilvusClient, collection: string, timeoutMs: number): Promise<void> {
  ok(await c.loadCollection({ collection_name: collection }), 'loadCollection');
  const deadline = Date.now() + timeoutMs;
  let progress = '0';
  for (;;) {
    const p = await c.getLoadingProgress({ collection_name: collection });
    progress = String(p.progress);
    if (progress === '100') return;
    if (Date.now() > deadline) throw new Error(`load stuck at ${progress} % after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** The rebuild runbook: release, drop index, create index, wait for the build, load. */
export async function rebuildRunbook(
  env: DrillEnv,
  collection: string,
  spec: IndexSpec,
  mark = true,
): Promise<void> {
  const c = client(env, 60_000);
  try {
    ok(await c.releaseCollection({ collection_name: collection }), 'releaseCollection');
    if (mark) env.mark('released', collection);
    if (await indexState(c, collection))
      ok(await c.dropIndex({ collection_name: collection, field_name: 'vec' }), 'dropIndex');
    if (mark) env.mark('index-dropped');
    await buildIndex(c, collection, spec);
    if (mark) env.mark('index-built', `${spec.type} ${JSON.stringify(spec.params)}`);
    await loadAndWait(c, collection, 180_000);
    if (mark) env.mark('loaded', collection);
  } finally {
    c.closeConnection();
  }
}

/** Creates the seeded dataset collection if missing (insert, flush, index, load): idempotent. */
export async function ensureDataset(
  env: DrillEnv,
  c: MilvusClient,
  collection: string,
  d: Dataset,
  spec: IndexSpec,
): Promise<void> {
  const has = await c.hasCollection({ collection_name: collection });
  if (!has.value) {
    ok(
      await c.createCollection({ collection_name: collection, shards_num: 1, fields: fields() } as Parameters<
        MilvusClient['createCollection']
      >[0]),
      'createCollection',
    );
  }
  const parts = await c.showPartitions({ collection_name: collection });
  if (!parts.partition_names.includes(LEDGER_PARTITION))
    ok(
      await c.createPartition({ collection_name: collection, partition_name: LEDGER_PARTITION }),
      'createPartition',
    );
  const stats = await c.getPartitionStatistics({
    collection_name: collection,
    partition_name: DATASET_PARTITION,
  });
  let have = Number(stats.data.row_count ?? 0);
  if (have < d.rows) {
    // Rows are inserted in id order in batches; a retry resumes after what was flushed.
    const started = Date.now();
    for (let i = have; i < d.rows; i += 2_000) {
      const batch = d.data
        .slice(i, Math.min(d.rows, i + 2_000))
        .map((v, j) => ({ id: i + j, vec: Array.from(v), key: `dataset/${i + j}`, payload: '' }));
      const r = await c.insert({
        collection_name: collection,
        partition_name: DATASET_PARTITION,
        data: batch,
      });
      ok(r.status, 'insert dataset');
    }
    await c.flushSync({ collection_names: [collection] });
    have = d.rows;
    env.log.info({ collection, rows: d.rows, ms: Date.now() - started }, 'seeded dataset inserted');
  }
  const idx = await indexState(c, collection);
  if (!idx || idx.type !== spec.type) {
    if (idx) {
      ok(await c.releaseCollection({ collection_name: collection }), 'releaseCollection');
      ok(await c.dropIndex({ collection_name: collection, field_name: 'vec' }), 'dropIndex');
    }
    await buildIndex(c, collection, spec);
  } else if (idx.state !== 'Finished') {
    await buildIndex(c, collection, spec).catch(() => undefined);
  }
  const state = await c.getLoadState({ collection_name: collection });
  if (String(state.state) !== 'LoadStateLoaded') await loadAndWait(c, collection, 180_000);
}

export const ledgerId = (runId: string, id: number) =>
  LEDGER_ID_BASE +
  (parseInt(createHash('sha256').update(runId).digest('hex').slice(0, 6), 16) % 1_000_000) * 1_000_000 +
  id;

export const payloadSha = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
