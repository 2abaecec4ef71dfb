// The Milvus drills' seeded dataset: rows × 128-d clustered vectors and query vectors, the exact
// top 10 of each query (brute force, src/vector/recall.ts: pure), and seeding it into a collection.
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { DrillLogger } from '../../drill/definition.ts';
import { clusteredVectors, exactKnn } from '../../vector/recall.ts';
import { ok } from './client.ts';
import {
  buildIndex,
  createCollection,
  DATASET_PARTITION,
  DIM,
  dropIndex,
  flush,
  indexState,
  isLoaded,
  K,
  LEDGER_PARTITION,
  loadAndWait,
  releaseCollection,
  type IndexSpec,
} from './collection.ts';

export interface Dataset {
  rows: number;
  seed: number;
  queries: Float32Array[];
  truth: number[][];
  data: Float32Array[];
}

/** How the dataset is drawn, for a drill's configuration record. */
export const DISTRIBUTION = 'clustered (128 centres, ±0.35)';

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

/** Creates the seeded dataset collection if missing (insert, flush, index, load): idempotent. */
export async function ensureDataset(
  log: DrillLogger,
  c: MilvusClient,
  collection: string,
  d: Dataset,
  spec: IndexSpec,
): Promise<void> {
  const has = await c.hasCollection({ collection_name: collection });
  if (!has.value) await createCollection(c, collection);
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
  const have = Number(stats.data.row_count ?? 0);
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
    await flush(c, collection);
    log.info({ collection, rows: d.rows, ms: Date.now() - started }, 'seeded dataset inserted');
  }
  const idx = await indexState(c, collection);
  if (!idx || idx.type !== spec.type) {
    if (idx) {
      await releaseCollection(c, collection);
      await dropIndex(c, collection);
    }
    await buildIndex(c, collection, spec);
  } else if (idx.state !== 'Finished') {
    await buildIndex(c, collection, spec).catch(() => undefined);
  }
  if (!(await isLoaded(c, collection))) await loadAndWait(c, collection, 180_000);
}
