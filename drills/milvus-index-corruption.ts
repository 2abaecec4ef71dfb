// Milvus index corruption. Runbook: "Milvus Index Corruption" (seed, Disaster Recovery: daily
// snapshots, RTO 4 h, RPO 24 h).
//
// The dataset: a seeded, deterministic collection (10,000 × 128-d clustered vectors by default,
// IVF_FLAT nlist 128 / nprobe 8, or HNSW), and 50 query vectors whose exact top 10 firedrill
// computes itself by brute force (src/vector/recall.ts): recall@10 of the index is measured against
// that truth before, during and after the fault. The ledger inserts entities with unique ids into
// the collection's `ledger` partition (recall searches stay in the dataset partition).
//
// Variant `index-overwrite`: the index files of the collection's segments, found in Milvus's own
// storage, are overwritten with random bytes and the collection is reloaded (release + load). The
// timeline records what clients see (load stuck, search refused, or recall dropped). Recovery is the
// runbook: release, drop index, create index, wait for the build, load.
//
// Variant `milvus-restore`: a crash-consistent snapshot of Milvus's whole storage (embedded etcd,
// rocksmq, binlogs and index files together) is taken after a flush, with the process group
// paused (SIGSTOP) while the directory is copied — what a volume snapshot gives. The ledger keeps
// writing; then Milvus is killed and its storage wiped; the snapshot is restored and Milvus started.
// RPO = T0 − snapshot time, and exactly the ledger entities acknowledged after the snapshot must be
// missing.
//
// Service recovered: search answers (the canary: one ANN search in the dataset partition). Full:
// the index is built and recall@10 ≥ baseline − 0.01, with every dataset row present.
import { ConsistencyLevelEnum, ErrorCode, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { defineDrill, type DrillEnv, type Fault, type LedgerRecord } from '../src/drill/definition.ts';
import { membersDown } from '../src/drill/observe.ts';
import type { ReadBackRecord } from '../src/measure/types.ts';
import { UserError } from '../src/util/errors.ts';
import { sleep } from '../src/util/wait.ts';
import {
  client,
  COMPONENT,
  DATASET_PARTITION,
  dataset,
  DEFAULT_COLLECTION,
  DIM,
  ensureDataset,
  fields,
  indexSpec,
  indexState,
  LEDGER_PARTITION,
  ledgerId,
  loadAndWait,
  measureRecall,
  MilvusStatusError,
  ok,
  payloadSha,
  rebuildRunbook,
  searchIds,
  type Dataset,
  type IndexSpec,
} from './lib/milvus.ts';

interface State {
  c: MilvusClient;
  collection: string;
  d: Dataset;
  spec: IndexSpec;
  lastFullCheck?: number;
}

interface MilvusFault extends Fault {
  collection: string;
  indexType: string;
  files?: { path: string; bytes: number; before: string; after: string }[];
  /** The segments whose index files were overwritten (to read them back from the storage). */
  segments?: string[];
  snapshot?: { label: string; at: number; pausedMs: number; bytes: number };
}

interface RecallEvidence {
  baseline?: number;
  during?: number | null;
  duringNote?: string;
  after?: number;
  afterAt?: number;
  datasetRows?: number;
}

const RECALL_FILE = 'recall.json';
const readRecall = (env: DrillEnv): RecallEvidence => env.evidence.read<RecallEvidence>(RECALL_FILE) ?? {};
// Atomic: a worker killed mid-write leaves the previous figures, never a torn file.
const writeRecall = (env: DrillEnv, patch: RecallEvidence) =>
  env.evidence.write(RECALL_FILE, { ...readRecall(env), ...patch });

// The planning step (preflight) sees the raw request, before defaults are applied: fall back here.
const opt = (env: DrillEnv, name: string, fallback: string | number) => env.options.values[name] ?? fallback;
const collectionOf = (env: DrillEnv) => String(opt(env, 'collection', DEFAULT_COLLECTION));
const specOf = (env: DrillEnv) => indexSpec(String(opt(env, 'index-type', 'IVF_FLAT')));
const datasetOf = (env: DrillEnv) =>
  dataset(Number(opt(env, 'rows', 10_000)), Number(opt(env, 'queries', 50)), Number(opt(env, 'seed', 42)));

function action<T>(env: DrillEnv, name: string, args: Record<string, unknown> = {}): Promise<T> {
  if (!env.platform.action)
    throw new UserError(
      `the ${env.platform.ref.kind} platform offers no Milvus actions (index files, snapshots)`,
    );
  return env.platform.action(COMPONENT, name, args) as Promise<T>;
}

async function milvusUp(env: DrillEnv): Promise<boolean> {
  return (
    (await env.platform.health(COMPONENT).catch(() => [])).every((h) => h.up) &&
    env.platform.members(COMPONENT).length > 0
  );
}

/** Rows of the dataset partition (Strong: counts every flushed and growing row). */
async function datasetRows(c: MilvusClient, collection: string): Promise<number> {
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

/**
 * Compensation: Milvus running, its data present, the collection loadable with a valid index.
 * From a fresh process, with only the fault record.
 */
async function ensureHealthy(env: DrillEnv, f: MilvusFault): Promise<void> {
  if (!(await milvusUp(env))) {
    await env.platform.kill(COMPONENT, 0, 'SIGKILL').catch(() => undefined);
    // Storage wiped and never restored: the snapshot is the only way back.
    if (f.snapshot) {
      const c0 = await action<string[]>(env, 'snapshots');
      if (c0.includes(f.snapshot.label)) {
        const hasData = await action<{ path: string }[]>(env, 'index-files')
          .then((x) => x.length > 0)
          .catch(() => false);
        if (!hasData) await action(env, 'restore-snapshot', { label: f.snapshot.label });
      }
    }
    await env.platform.restart(COMPONENT);
  }
  const spec = indexSpec(f.indexType);
  const c = client(env, 60_000);
  try {
    const loaded = await loadAndWait(c, f.collection, 90_000).then(
      () => true,
      () => false,
    );
    const idx = await indexState(c, f.collection);
    if (loaded && idx?.state === 'Finished') {
      // Loaded: still check that it answers (a corrupt index that loaded would fail here).
      const d = datasetOf(env);
      await searchIds(c, f.collection, d.queries[0]!, spec);
      return;
    }
  } finally {
    c.closeConnection();
  }
  await rebuildRunbook(env, f.collection, spec, false);
}

/** The ledger's rows in one insert: acknowledged together, or not at all. */
async function insertLedger(
  env: DrillEnv,
  s: State,
  records: LedgerRecord[],
): Promise<{ position: string }[]> {
  const data = records.map((record) => ({
    id: ledgerId(env.runId, record.id),
    vec: Array.from(s.d.queries[record.id % s.d.queries.length]!),
    key: record.key,
    payload: record.payload.toString('hex'),
  }));
  const r = await s.c.insert({ collection_name: s.collection, partition_name: LEDGER_PARTITION, data });
  ok(r.status, 'insert');
  // A partial insert is not a refusal: which rows are kept is for the read-back to say (unknown).
  if (Number(r.insert_cnt) !== records.length)
    throw new Error(`insert acknowledged ${String(r.insert_cnt)} of ${records.length} rows`);
  return data.map((d) => ({ position: `id ${d.id}` }));
}

export default defineDrill<State>({
  name: 'milvus-index-corruption',
  title: 'Milvus index corruption (rebuild) and restore from snapshot',
  hypothesis:
    'When the index files of a loaded collection are corrupted, Milvus refuses to serve the collection rather than answering wrongly, and the runbook (release, drop index, create index, load) brings searches back with recall@10 within 0.01 of the baseline and every entity present, well within 4 h; a restore from the daily snapshot loses exactly the writes after the snapshot (RPO = T0 − snapshot ≤ 24 h).',
  target: { component: COMPONENT, scenario: 'index-corruption' },
  variants: {
    'index-overwrite': {
      description: "overwrite the collection's index files on disk with random bytes, then release + load",
    },
    'milvus-restore': {
      description:
        'snapshot (flush, paused copy), more writes, kill + wipe the storage, restore the snapshot',
    },
  },
  defaultVariant: 'index-overwrite',
  options: {
    collection: {
      type: 'string',
      default: DEFAULT_COLLECTION,
      description: `the collection drilled; "${DEFAULT_COLLECTION}" is created with the seeded dataset if missing, any other must exist`,
    },
    'index-type': {
      type: 'string',
      default: 'IVF_FLAT',
      description: 'the ANN index (IVF_FLAT or HNSW; Milvus decides what it accepts)',
    },
    rows: {
      type: 'number',
      default: 10_000,
      // An index is only built above 1,024 rows per segment: fewer rows would test no index.
      min: 2_000,
      max: 200_000,
      integer: true,
      description: 'dataset size (× 128 dims); 10,000 inserts in ~15 s on a loaded 2-core host',
    },
    queries: {
      type: 'number',
      default: 50,
      min: 50,
      max: 10_000,
      integer: true,
      description: 'query vectors for recall@10',
    },
    seed: {
      type: 'number',
      default: 42,
      min: 0,
      max: 2 ** 31 - 1,
      integer: true,
      description: 'seed of the dataset and queries',
    },
    observe: {
      type: 'duration',
      default: '15s',
      max: '1h',
      holdsFault: true, // the corrupted index stays until the runbook starts
      description: 'how long the symptom is watched before the runbook starts',
    },
    'writes-after-snapshot': {
      type: 'duration',
      default: '8s',
      max: '4m', // inside the injection step's 5 minutes
      description: 'milvus-restore: how long the ledger writes after the snapshot before the fault',
    },
  },
  probe: { intervalMs: 100, timeoutMs: 3_000, consecutiveOk: 5 },
  // One insert acknowledges a batch of rows. Paced at 200 rows/s while drilling: every ledger row
  // is also indexed by the runbook's rebuild, and the figure is the recovery, not the ingest.
  ledger: { concurrency: 2, minAckedBeforeFault: 50, batch: 32, maxRate: 200 },
  needs: [COMPONENT],
  requires: {
    capabilities: ['kill', 'restart', 'actions'],
    actions: ['index-files', 'overwrite-files', 'restore-snapshot', 'snapshots', 'wipe-data'],
  },
  remediateAfterMs: (o) => o.number('observe'),

  async open(env) {
    const c = client(env, 10_000);
    return { c, collection: collectionOf(env), d: datasetOf(env), spec: specOf(env) };
  },

  async close(_env, s) {
    s.c.closeConnection();
  },

  async preflight(env, s) {
    const health = await env.platform.health(COMPONENT);
    if (!health.every((h) => h.up))
      throw new UserError(
        `Milvus is not healthy (${health.map((h) => h.detail).join('; ')})`,
        'firedrill sandbox restart milvus',
      );
    const exists = (await s.c.hasCollection({ collection_name: s.collection })).value;
    if (!exists && s.collection !== DEFAULT_COLLECTION) {
      const all = await s.c.showCollections().then(
        (r) => r.data.map((x) => x.name).join(', ') || 'none',
        () => 'unknown',
      );
      throw new UserError(
        `Milvus collection "${s.collection}" does not exist (collections: ${all})`,
        `create it first, or drop --option collection to use the drill's seeded "${DEFAULT_COLLECTION}"`,
      );
    }
    // The index type: asked of Milvus itself, on a scratch collection, before anything is touched.
    const scratch = `firedrill_probe_${process.pid}_${Date.now()}`;
    ok(
      await s.c.createCollection({ collection_name: scratch, shards_num: 1, fields: fields() } as Parameters<
        MilvusClient['createCollection']
      >[0]),
      'createCollection (probe)',
    );
    try {
      const r = await s.c.createIndex({
        collection_name: scratch,
        field_name: 'vec',
        index_type: s.spec.type,
        metric_type: 'L2',
        params: s.spec.params,
      });
      if (r.error_code !== ErrorCode.SUCCESS)
        throw new UserError(
          `Milvus rejects index type "${s.spec.type}": ${r.reason}`,
          'use IVF_FLAT or HNSW',
        );
    } finally {
      await s.c.dropCollection({ collection_name: scratch }).catch(() => undefined);
    }
    if (exists && s.collection !== DEFAULT_COLLECTION) {
      const desc = await s.c.describeCollection({ collection_name: s.collection });
      const vec = desc.schema.fields.find((f) => f.name === 'vec');
      if (!vec || !desc.schema.fields.some((f) => f.name === 'key'))
        throw new UserError(
          `collection "${s.collection}" does not have the drill's schema (id, vec[${DIM}], key, payload)`,
        );
    }
    const started = Date.now();
    await ensureDataset(env, s.c, s.collection, s.d, s.spec);
    const rows = await datasetRows(s.c, s.collection);
    if (rows !== s.d.rows)
      throw new UserError(
        `collection "${s.collection}" holds ${rows} dataset rows, the drill expects ${s.d.rows} (--option rows)`,
      );
    const baseline = await measureRecall(s.c, s.collection, s.d, s.spec);
    writeRecall(env, { baseline, datasetRows: rows });
    env.log.info({ baseline, rows, setupMs: Date.now() - started }, 'recall@10 baseline');
  },

  async canary(_env, s) {
    const ids = await searchIds(s.c, s.collection, s.d.queries[0]!, s.spec, 2_500);
    if (ids.length !== 10) throw new Error(`search answered ${ids.length} of 10 neighbours`);
  },

  async write(env, s, record) {
    return (await insertLedger(env, s, [record]))[0]!;
  },

  writeBatch: insertLedger,

  isDefiniteFailure(err) {
    const msg = String((err as Error)?.message ?? err);
    // A status the proxy answered with (not a timeout): nothing was written.
    return err instanceof MilvusStatusError || /ECONNREFUSED|UNAVAILABLE|No connection established/.test(msg);
  },

  async readBack(_env, s, prefix): Promise<ReadBackRecord[]> {
    const out: ReadBackRecord[] = [];
    // Paged by id so every entity comes back however many there are.
    let after = -1;
    for (;;) {
      const res = await s.c.query({
        collection_name: s.collection,
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
  },

  async inject(env, s): Promise<MilvusFault> {
    const base = { collection: s.collection, indexType: s.spec.type };
    if (env.variant === 'milvus-restore') {
      await s.c.flushSync({ collection_names: [s.collection] });
      env.mark('flushed', s.collection);
      const snap = await action<{ label: string; at: number; pausedMs: number; bytes: number }>(
        env,
        'snapshot',
        { label: `${env.runId.replace(/[^\w-]/g, '_')}` },
      );
      env.mark(
        'snapshot',
        `${snap.label}: ${(snap.bytes / 1e6).toFixed(0)} MB, Milvus paused ${snap.pausedMs} ms`,
        snap.at,
      );
      await sleep(env.options.number('writes-after-snapshot'));
      const fault: MilvusFault = {
        ...base,
        description: `kill Milvus and wipe its storage (etcd, rocksmq, binlogs, index files); restore snapshot ${snap.label}`,
        touched: ['milvus/milvus-0'],
        snapshot: snap,
      };
      await env.fire(fault, async () => {
        await env.platform.kill(COMPONENT, 0, 'SIGKILL');
        await action(env, 'wipe-data');
      });
      return fault;
    }

    const segs = await s.c.getPersistentSegmentInfo({ collectionName: s.collection });
    const segments = segs.infos.filter((i) => String(i.partitionID) !== '').map((i) => String(i.segmentID));
    const files = await action<{ path: string; bytes: number; sha256: string; segmentId: string }[]>(
      env,
      'index-files',
      { segments },
    );
    if (!files.length)
      throw new Error(
        `no index files found for the ${segments.length} segments of ${s.collection} in Milvus's storage`,
      );
    const fault: MilvusFault = {
      ...base,
      description: `overwrite ${files.length} index file(s) of ${s.collection} (${files.reduce((n, f) => n + f.bytes, 0)} bytes) with random bytes, then release + load`,
      touched: ['milvus/milvus-0'],
      files: files.map((f) => ({ path: f.path, bytes: f.bytes, before: f.sha256, after: '' })),
      segments,
    };
    await env.fire(fault, async () => {
      const written = await action<{ path: string; sha256: string }[]>(env, 'overwrite-files', {
        paths: files.map((f) => f.path),
      });
      for (const w of written) fault.files!.find((f) => f.path === w.path)!.after = w.sha256;
      ok(await s.c.releaseCollection({ collection_name: s.collection }), 'releaseCollection');
      ok(await s.c.loadCollection({ collection_name: s.collection }), 'loadCollection');
    });
    // The symptom, as a client sees it.
    const until = Date.now() + Math.max(5_000, env.options.number('observe') - 3_000);
    let progress = '?';
    let searchError = '';
    while (Date.now() < until) {
      progress = String(
        (await s.c.getLoadingProgress({ collection_name: s.collection }).catch(() => ({ progress: '?' })))
          .progress,
      );
      if (progress === '100') break;
      await sleep(500);
    }
    if (progress === '100') {
      const during = await measureRecall(s.c, s.collection, s.d, s.spec).catch(
        (e: Error) => ((searchError = e.message), null),
      );
      writeRecall(env, {
        during,
        duringNote: during === null ? `search error: ${searchError}` : 'loaded from the overwritten files',
      });
      const baseline = readRecall(env).baseline;
      // Only a recall below the baseline's tolerance is a drop; an unchanged recall is said as such.
      const dropped = during !== null && baseline !== undefined && during < baseline - 0.01;
      env.mark(
        during === null ? 'search-error' : dropped ? 'recall-drop' : 'recall-unchanged',
        during === null
          ? searchError
          : `recall@10 ${during.toFixed(3)} (baseline ${baseline?.toFixed(3)})${dropped ? '' : ': the overwritten files did not change what searches answer'}`,
      );
    } else {
      await searchIds(s.c, s.collection, s.d.queries[0]!, s.spec, 3_000).catch(
        (e: Error) => (searchError = e.message),
      );
      writeRecall(env, {
        during: null,
        duringNote: `load stuck at ${progress} %; search: ${searchError || 'answered'}`,
      });
      env.mark(
        'load-failed',
        `load stuck at ${progress} % after the reload; search refused: ${searchError.slice(0, 160)}`,
      );
    }
    return fault;
  },

  async confirm(env, _s, fault) {
    const f = fault as MilvusFault;
    if (f.snapshot) {
      const down = await membersDown(env, COMPONENT, ['milvus-0']);
      const left = await action<{ path: string }[]>(env, 'index-files', {}).catch(() => []);
      if (left.length) throw new Error(`${left.length} index files are still in Milvus's storage`);
      return `Milvus down and its storage wiped (${down})`;
    }
    // Read the files back from the storage: each must differ from what was there before.
    const now = await action<{ path: string; sha256: string }[]>(env, 'index-files', {
      segments: f.segments ?? [],
    });
    const changed = (f.files ?? []).filter((x) =>
      now.some((n) => n.path === x.path && n.sha256 !== x.before),
    );
    if (!f.files?.length || changed.length < f.files.length)
      throw new Error(
        `${changed.length} of ${f.files?.length ?? 0} index files differ from before the fault`,
      );
    return `${changed.length} index file(s) on disk differ from before the fault (SHA-256 read back)`;
  },

  async remediate(env, fault) {
    const f = fault as MilvusFault;
    if (f.snapshot) {
      env.mark('restore-started', `snapshot ${f.snapshot.label}`);
      const r = await action<{ ms: number }>(env, 'restore-snapshot', { label: f.snapshot.label });
      env.mark('restored', `storage copied back in ${r.ms} ms`);
      await env.platform.restart(COMPONENT);
      env.mark('milvus-up', 'CheckHealth healthy');
      const c = client(env, 60_000);
      try {
        await loadAndWait(c, f.collection, 180_000);
      } finally {
        c.closeConnection();
      }
      env.mark('loaded', f.collection);
      return;
    }
    if (!(await milvusUp(env))) await env.platform.restart(COMPONENT);
    await rebuildRunbook(env, f.collection, indexSpec(f.indexType));
  },

  async fullyRecovered(env, s) {
    // Recall is 50 searches: not more often than every 2 s.
    if (s.lastFullCheck && Date.now() - s.lastFullCheck < 2_000) return false;
    s.lastFullCheck = Date.now();
    const idx = await indexState(s.c, s.collection);
    if (idx?.state !== 'Finished') return false;
    const recall = await measureRecall(s.c, s.collection, s.d, s.spec);
    const { baseline } = readRecall(env);
    if (baseline === undefined || recall < baseline - 0.01) return false;
    const rows = await datasetRows(s.c, s.collection);
    if (rows !== s.d.rows) return false;
    writeRecall(env, { after: recall, afterAt: Date.now(), datasetRows: rows });
    env.mark(
      'recall-restored',
      `recall@10 ${recall.toFixed(3)} (baseline ${baseline.toFixed(3)}); ${rows} dataset rows`,
    );
    return true;
  },

  async revert(env, fault) {
    await ensureHealthy(env, fault as MilvusFault);
  },

  async recoveryPoint(_env, _s, fault) {
    return (fault as MilvusFault).snapshot?.at ?? null;
  },

  async config(env, s) {
    const idx = await indexState(s.c, s.collection).catch(() => undefined);
    return {
      collection: s.collection,
      dataset: {
        rows: s.d.rows,
        dim: DIM,
        queries: s.d.queries.length,
        seed: s.d.seed,
        distribution: 'clustered (128 centres, ±0.35)',
        k: 10,
      },
      index: { type: s.spec.type, params: s.spec.params, search: s.spec.search, state: idx ?? null },
      recall: readRecall(env),
      milvus: {
        version: env.platform.info(COMPONENT).version,
        storage: env.platform.info(COMPONENT).storage,
        etcd: env.platform.info(COMPONENT).etcd,
        sessionTtlSeconds: env.platform.info(COMPONENT).sessionTtlSeconds,
      },
      snapshot:
        env.variant === 'milvus-restore'
          ? 'flush, then the storage root copied with the process group paused (SIGSTOP/SIGCONT): crash-consistent, etcd and data together'
          : null,
      observeMs: env.options.values.observe,
    };
  },
});
