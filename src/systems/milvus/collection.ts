// The drills' collection in Milvus: its schema (id, vec[128], key, payload), its two partitions,
// its ANN index (spec, state, build), and loading it.
import { ConsistencyLevelEnum, DataType, ErrorCode, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { sleep } from '../../util/wait.ts';
import { ok } from './client.ts';

export const DIM = 128;
export const K = 10;
export const LEDGER_PARTITION = 'ledger';
/** The dataset lives in the default partition; searches for recall stay inside it. */
export const DATASET_PARTITION = '_default';

export function fields() {
  return [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
    { name: 'vec', data_type: DataType.FloatVector, dim: DIM },
    { name: 'key', data_type: DataType.VarChar, max_length: 256 },
    { name: 'payload', data_type: DataType.VarChar, max_length: 1024 },
  ];
}

export async function createCollection(c: MilvusClient, collection: string, what = 'createCollection') {
  ok(
    await c.createCollection({ collection_name: collection, shards_num: 1, fields: fields() } as Parameters<
      MilvusClient['createCollection']
    >[0]),
    what,
  );
}

export const collectionExists = async (c: MilvusClient, collection: string): Promise<boolean> =>
  Boolean((await c.hasCollection({ collection_name: collection })).value);

export const collectionNames = async (c: MilvusClient): Promise<string[]> =>
  (await c.showCollections()).data.map((x) => x.name);

/** Whether an existing collection has the drill's schema (a vec and a key field). */
export async function hasDrillSchema(c: MilvusClient, collection: string): Promise<boolean> {
  const desc = await c.describeCollection({ collection_name: collection });
  const vec = desc.schema.fields.find((f) => f.name === 'vec');
  return Boolean(vec) && desc.schema.fields.some((f) => f.name === 'key');
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

const createIndex = (c: MilvusClient, collection: string, spec: IndexSpec) =>
  c.createIndex({
    collection_name: collection,
    field_name: 'vec',
    index_type: spec.type,
    metric_type: 'L2',
    params: spec.params,
  });

/**
 * Asks Milvus itself whether it accepts the index, on a scratch collection created and dropped for
 * it: the reason it refuses, or undefined when it accepts.
 */
export async function indexRefusal(c: MilvusClient, spec: IndexSpec): Promise<string | undefined> {
  const scratch = `firedrill_probe_${process.pid}_${Date.now()}`;
  await createCollection(c, scratch, 'createCollection (probe)');
  try {
    const r = await createIndex(c, scratch, spec);
    return r.error_code !== ErrorCode.SUCCESS ? (r.reason ?? '') : undefined;
  } finally {
    await c.dropCollection({ collection_name: scratch }).catch(() => undefined);
  }
}

export interface IndexState {
  type?: string;
  state?: string;
  indexed: number;
  total: number;
  failReason?: string;
}

/** The vec field's index as Milvus describes it, or undefined without one. */
export async function indexState(c: MilvusClient, collection: string): Promise<IndexState | undefined> {
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
  ok(await createIndex(c, collection, spec), `createIndex ${spec.type}`);
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

export const dropIndex = async (c: MilvusClient, collection: string) => {
  ok(await c.dropIndex({ collection_name: collection, field_name: 'vec' }), 'dropIndex');
};

export const releaseCollection = async (c: MilvusClient, collection: string) => {
  ok(await c.releaseCollection({ collection_name: collection }), 'releaseCollection');
};

/** Asks for a load without waiting for it. */
export const loadCollection = async (c: MilvusClient, collection: string) => {
  ok(await c.loadCollection({ collection_name: collection }), 'loadCollection');
};

/** The load progress in percent, as Milvus says it ("100" when loaded). */
export const loadingProgress = async (c: MilvusClient, collection: string): Promise<string> =>
  String((await c.getLoadingProgress({ collection_name: collection })).progress);

export const isLoaded = async (c: MilvusClient, collection: string): Promise<boolean> =>
  String((await c.getLoadState({ collection_name: collection })).state) === 'LoadStateLoaded';

/** Loads the collection and waits for 100 %, or throws with the progress it got stuck at. */
export async function loadAndWait(c: MilvusClient, collection: string, timeoutMs: number): Promise<void> {
  await loadCollection(c, collection);
  const deadline = Date.now() + timeoutMs;
  let progress = '0';
  for (;;) {
    progress = await loadingProgress(c, collection);
    if (progress === '100') return;
    if (Date.now() > deadline) throw new Error(`load stuck at ${progress} % after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** Seals and persists every growing segment of the collection. */
export const flush = async (c: MilvusClient, collection: string) => {
  await c.flushSync({ collection_names: [collection] });
};

/** The ids of the collection's persisted segments (those in a partition). */
export async function segmentIds(c: MilvusClient, collection: string): Promise<string[]> {
  const segs = await c.getPersistentSegmentInfo({ collectionName: collection });
  return segs.infos.filter((i) => String(i.partitionID) !== '').map((i) => String(i.segmentID));
}

/** Rows of the dataset partition (Strong: counts every flushed and growing row). */
export async function datasetRows(c: MilvusClient, collection: string): Promise<number> {
  const res = await c.query({
    collection_name: collection,
    partition_names: [DATASET_PARTITION],
    output_fields: ['count(*)'],
    filter: '',
    consistency_level: ConsistencyLevelEnum.Strong,
  } as Parameters<MilvusClient['query']>[0]);
  ok(res.status, 'count(*)');
  return Number((res.data[0] as Record<string, unknown>)['count(*)']);
}
