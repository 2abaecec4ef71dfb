// recall@10 of a Milvus index, measured: every query of the dataset searched, the answers judged
// against the brute-force truth (the pure math is src/vector/recall.ts).
import { ConsistencyLevelEnum, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { meanRecall } from '../../vector/recall.ts';
import { ok } from './client.ts';
import { DATASET_PARTITION, K, type IndexSpec } from './collection.ts';
import type { Dataset } from './dataset.ts';

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
