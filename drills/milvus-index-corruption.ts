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
// paused (SIGSTOP) while the directory is copied — what a volume snapshot gives; the pause is a
// journaled preparation of the fault, so the compensation resumes Milvus if a worker dies inside
// it. The ledger keeps writing; then Milvus is killed and its storage wiped; the snapshot is
// restored and Milvus started. RPO = T0 − snapshot time, and exactly the ledger entities
// acknowledged after the snapshot must be missing.
//
// Service recovered: search answers (the canary: one ANN search in the dataset partition). Full:
// the index is built and recall@10 ≥ baseline − 0.01, with every dataset row present.
import { defineDrill, type DrillEnv, type Fault } from '../src/drill/definition.ts';
import { membersDown } from '../src/drill/observe.ts';
import { actionsOf } from '../src/platform/call-action.ts';
import type { MilvusActions, Snapshot } from '../src/systems/milvus/actions.ts';
import {
  clientFor,
  COMPONENT,
  isDefiniteFailure,
  milvusUp,
  type MilvusClient,
} from '../src/systems/milvus/client.ts';
import {
  buildIndex,
  collectionExists,
  collectionNames,
  datasetRows,
  DIM,
  dropIndex,
  flush,
  hasDrillSchema,
  indexRefusal,
  indexSpec,
  indexState,
  K,
  loadAndWait,
  loadCollection,
  loadingProgress,
  releaseCollection,
  segmentIds,
  type IndexSpec,
} from '../src/systems/milvus/collection.ts';
import { dataset, DISTRIBUTION, ensureDataset, type Dataset } from '../src/systems/milvus/dataset.ts';
import { insertLedger, readLedger } from '../src/systems/milvus/ledger.ts';
import { isPauseEffect, pauseEffect, resumePaused } from '../src/systems/milvus/pause.ts';
import { measureRecall, searchIds } from '../src/systems/milvus/recall.ts';
import { UserError } from '../src/util/errors.ts';
import { sleep } from '../src/util/wait.ts';

const DEFAULT_COLLECTION = 'firedrill_ann';

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
  snapshot?: Snapshot;
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

// Every step gets the plan's options, defaults filled in.
const collectionOf = (env: DrillEnv) => env.options.string('collection');
const specOf = (env: DrillEnv) => indexSpec(env.options.string('index-type'));
const datasetOf = (env: DrillEnv) =>
  dataset(env.options.number('rows'), env.options.number('queries'), env.options.number('seed'));
const action = (env: DrillEnv) => actionsOf<MilvusActions>(env.platform, COMPONENT);

/** The rebuild runbook: release, drop index, create index, wait for the build, load. */
async function rebuildRunbook(
  env: DrillEnv,
  collection: string,
  spec: IndexSpec,
  mark = true,
): Promise<void> {
  const c = clientFor(env.platform, 60_000);
  try {
    await releaseCollection(c, collection);
    if (mark) env.mark('released', collection);
    if (await indexState(c, collection)) await dropIndex(c, collection);
    if (mark) env.mark('index-dropped');
    await buildIndex(c, collection, spec);
    if (mark) env.mark('index-built', `${spec.type} ${JSON.stringify(spec.params)}`);
    await loadAndWait(c, collection, 180_000);
    if (mark) env.mark('loaded', collection);
  } finally {
    c.closeConnection();
  }
}

/**
 * Compensation: Milvus running, its data present, the collection loadable with a valid index.
 * From a fresh process, with only the fault record.
 */
async function ensureHealthy(env: DrillEnv, f: MilvusFault): Promise<void> {
  if (!(await milvusUp(env.platform))) {
    await env.platform.kill(COMPONENT, 0, 'SIGKILL').catch(() => undefined);
    // Storage wiped and never restored: the snapshot is the only way back.
    if (f.snapshot) {
      const c0 = await action(env)('snapshots');
      if (c0.includes(f.snapshot.label)) {
        const hasData = await action(env)('index-files')
          .then((x) => x.length > 0)
          .catch(() => false);
        if (!hasData) await action(env)('restore-snapshot', { label: f.snapshot.label });
      }
    }
    await env.platform.restart(COMPONENT);
  }
  const spec = indexSpec(f.indexType);
  const c = clientFor(env.platform, 60_000);
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
    actions: [
      'index-files',
      'overwrite-files',
      'restore-snapshot',
      'resume',
      'snapshot',
      'snapshots',
      'wipe-data',
    ],
  },
  remediateAfterMs: (o) => o.number('observe'),

  async open(env) {
    const c = clientFor(env.platform, 10_000);
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
    const exists = await collectionExists(s.c, s.collection);
    if (!exists && s.collection !== DEFAULT_COLLECTION) {
      const all = await collectionNames(s.c).then(
        (names) => names.join(', ') || 'none',
        () => 'unknown',
      );
      throw new UserError(
        `Milvus collection "${s.collection}" does not exist (collections: ${all})`,
        `create it first, or drop --option collection to use the drill's seeded "${DEFAULT_COLLECTION}"`,
      );
    }
    // The index type: asked of Milvus itself, on a scratch collection, before anything is touched.
    const refusal = await indexRefusal(s.c, s.spec);
    if (refusal !== undefined)
      throw new UserError(`Milvus rejects index type "${s.spec.type}": ${refusal}`, 'use IVF_FLAT or HNSW');
    if (exists && s.collection !== DEFAULT_COLLECTION) {
      if (!(await hasDrillSchema(s.c, s.collection)))
        throw new UserError(
          `collection "${s.collection}" does not have the drill's schema (id, vec[${DIM}], key, payload)`,
        );
    }
    const started = Date.now();
    await ensureDataset(env.log, s.c, s.collection, s.d, s.spec);
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
    if (ids.length !== K) throw new Error(`search answered ${ids.length} of ${K} neighbours`);
  },

  async write(env, s, record) {
    return (await insertLedger(s.c, s.collection, env.runId, s.d.queries, [record]))[0]!;
  },

  writeBatch: (env, s, records) => insertLedger(s.c, s.collection, env.runId, s.d.queries, records),

  // A status the proxy answered with (not a timeout): nothing was written.
  isDefiniteFailure,

  readBack: (_env, s, prefix) => readLedger(s.c, s.collection, prefix),

  async inject(env, s): Promise<MilvusFault> {
    const base = { collection: s.collection, indexType: s.spec.type };
    if (env.variant === 'milvus-restore') {
      await flush(s.c, s.collection);
      env.mark('flushed', s.collection);
      const label = env.runId.replace(/[^\w-]/g, '_');
      // The pause inside the snapshot is journaled first: a worker dying inside the copy leaves an
      // entry whose revert resumes Milvus, not a stopped Milvus that nothing knows about.
      let snap: Snapshot | undefined;
      await env.prepare(await pauseEffect(env.platform, label), async () => {
        snap = await action(env)('snapshot', { label });
      });
      if (!snap) throw new Error('the snapshot preparation returned without a snapshot');
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
        await action(env)('wipe-data');
      });
      return fault;
    }

    const segments = await segmentIds(s.c, s.collection);
    const files = await action(env)('index-files', { segments });
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
      const written = await action(env)('overwrite-files', { paths: files.map((f) => f.path) });
      for (const w of written) fault.files!.find((f) => f.path === w.path)!.after = w.sha256;
      await releaseCollection(s.c, s.collection);
      await loadCollection(s.c, s.collection);
    });
    // The symptom, as a client sees it.
    const until = Date.now() + Math.max(5_000, env.options.number('observe') - 3_000);
    let progress = '?';
    let searchError = '';
    while (Date.now() < until) {
      progress = await loadingProgress(s.c, s.collection).catch(() => '?');
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
      const left = await action(env)('index-files', {}).catch(() => []);
      if (left.length) throw new Error(`${left.length} index files are still in Milvus's storage`);
      return `Milvus down and its storage wiped (${down})`;
    }
    // Read the files back from the storage: each must differ from what was there before.
    const now = await action(env)('index-files', { segments: f.segments ?? [] });
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
      const r = await action(env)('restore-snapshot', { label: f.snapshot.label });
      env.mark('restored', `storage copied back in ${r.ms} ms`);
      await env.platform.restart(COMPONENT);
      env.mark('milvus-up', 'CheckHealth healthy');
      const c = clientFor(env.platform, 60_000);
      try {
        await loadAndWait(c, f.collection, 180_000);
      } finally {
        c.closeConnection();
      }
      env.mark('loaded', f.collection);
      return;
    }
    if (!(await milvusUp(env.platform))) await env.platform.restart(COMPONENT);
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
    // A preparation (the snapshot's pause) is undone on its own: SIGCONT, nothing else touched.
    if (fault.preparation) {
      if (!isPauseEffect(fault))
        throw new Error(
          `preparation ${fault.preparation} ("${fault.description}") is not one this drill makes`,
        );
      return resumePaused(env, fault);
    }
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
        distribution: DISTRIBUTION,
        k: K,
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
