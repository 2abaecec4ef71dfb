// Milvus in the sandbox, with the real Node SDK: a collection of 128-d vectors inserted, flushed,
// indexed (IVF_FLAT) and searched; the server killed (the client fails) and restarted, and the
// data found again after a fresh load (it was persisted, not just cached). As root, Milvus runs in
// a network namespace of its own: nothing of it listens in the host's, but its forwarders on
// 127.0.0.1.
import { ConsistencyLevelEnum, DataType, ErrorCode, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { markedProcesses } from '../../src/platform/local/process.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import { waitFor } from '../../src/util/wait.ts';
import { useSandbox } from './sandbox-harness.ts';

const sb = useSandbox('e2e-milvus', ['milvus']);
const COLLECTION = 'e2e_vectors';
const DIM = 128;
// Above rootCoord.minSegmentSizeToEnableIndex (1024 rows), so the IVF_FLAT index is really built.
const ROWS = 1200;

/** Deterministic vectors (mulberry32): the same every run, so a failure can be replayed. */
function vectors(n: number, dim: number, seed = 42): number[][] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => rand() * 2 - 1));
}
const data = vectors(ROWS, DIM);
const probes = [0, 1, 17, 500, 999, ROWS - 1];

/** Resident memory of the given processes, summed, in MiB. */
function rssMiB(pids: number[]): number {
  const kib = pids.reduce(
    (sum, pid) => sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0),
    0,
  );
  return Math.round(kib / 1024);
}

const asRoot = process.getuid?.() === 0;

/** Listening TCP sockets of the network namespace `ss` runs in (the host's, or pid's with nsenter). */
function listeners(pid?: number): { address: string; port: number; pids: number[]; line: string }[] {
  const out = pid
    ? execFileSync('nsenter', ['-t', String(pid), '-n', 'ss', '-ltnpH'], { encoding: 'utf8' })
    : execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const local = line.trim().split(/\s+/)[3]!; // State Recv-Q Send-Q Local Peer Process
      const colon = local.lastIndexOf(':');
      return {
        address: local.slice(0, colon),
        port: Number(local.slice(colon + 1)),
        pids: [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])),
        line,
      };
    });
}

/**
 * In the host's network namespace the sandbox (here: just the milvus member, its process tree
 * found by the sandbox marker and /proc ppid links) listens on exactly the two forwarded ports,
 * on 127.0.0.1 and through the forwarder only; Milvus's own listeners, on every address, exist
 * only inside its namespace.
 */
function expectOnlyLoopbackForwarders(): void {
  const sandbox = sb.get();
  const state = sandbox.component('milvus');
  const member = state.members[0]!;
  const milvusPid = member.pids['milvus-0']!;
  const forwarderPid = member.pids['milvus-0/forward']!;
  expect(forwarderPid).toBeGreaterThan(0);
  const tree = new Set(markedProcesses(sandbox.state.id));
  expect(tree.has(milvusPid)).toBe(true);

  const onHost = listeners().filter((l) => l.pids.some((p) => tree.has(p)));
  const lines = onHost.map((l) => l.line).join('\n');
  for (const l of onHost) {
    expect(l.address, `bound beyond loopback in the host namespace:\n${lines}`).toBe('127.0.0.1');
    expect(l.pids, `not the forwarder's:\n${lines}`).toEqual([forwarderPid]);
  }
  expect(onHost.map((l) => l.port).sort()).toEqual(
    [member.ports.proxy_port, member.ports.metrics_port].sort(),
  );
  expect(state.endpoints.address).toBe(`127.0.0.1:${member.ports.proxy_port}`);

  // Not vacuous: Milvus does listen, on every address, but in a namespace of its own.
  expect(readlinkSync(`/proc/${milvusPid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
  const inside = listeners(milvusPid);
  const proxy = inside.find(
    (l) => l.port === Number((state.info.namespacePorts as Record<string, number>).proxy_port),
  );
  expect(proxy?.pids).toEqual([milvusPid]);
  expect(proxy?.address).toBe('*');
}

function client(timeoutMs = 10_000): MilvusClient {
  const c = new MilvusClient({
    address: sb.get().component('milvus').endpoints.address!,
    timeout: timeoutMs,
    maxRetries: 0,
    logLevel: 'error',
  });
  c.connectPromise.catch(() => {}); // connects eagerly; failures surface on the first call
  return c;
}

function ok(status: { error_code: string | number; reason?: string }, what: string): void {
  expect(status.error_code, `${what}: ${status.reason}`).toBe(ErrorCode.SUCCESS);
}

async function nearest(c: MilvusClient, vector: number[]): Promise<{ id: string; score: number }> {
  const res = await c.search({
    collection_name: COLLECTION,
    vector,
    limit: 3,
    metric_type: 'L2',
    params: { nprobe: 8 },
    output_fields: ['id'],
    consistency_level: ConsistencyLevelEnum.Strong,
  });
  ok(res.status, 'search');
  expect(res.results.length).toBe(3);
  return { id: String(res.results[0]!.id), score: Number(res.results[0]!.score) };
}

async function expectSelfIsNearest(c: MilvusClient): Promise<void> {
  for (const i of probes) {
    const hit = await nearest(c, data[i]!);
    expect(hit.id, `nearest neighbour of vector ${i}`).toBe(String(i));
    expect(hit.score).toBeLessThan(1e-3); // L2 distance to itself
  }
}

describe('sandbox: milvus', () => {
  it('runs standalone on loopback and answers CheckHealth', async () => {
    const state = sb.get().component('milvus');
    expect(state.members).toHaveLength(1);
    expect(state.endpoints.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(state.info).toMatchObject({
      version: '2.3.5',
      packageVersion: '2.3.5',
      storage: 'local',
      etcd: 'embedded',
      networkIsolation: asRoot ? 'netns' : 'none',
    });
    expect(String(state.info.serverVersion)).toContain('2.3.5');
    expect((await sb.get().status()).milvus).toEqual([
      { member: 'milvus-0', up: true, detail: 'CheckHealth: healthy' },
    ]);
    // Its data lives in the sandbox, not in ~/.milvus.io.
    expect(state.members[0]!.dataDir.startsWith(sb.get().state.dir)).toBe(true);
  });

  it.skipIf(!asRoot)('listens in the host namespace only on 127.0.0.1, through its forwarder', async () => {
    expectOnlyLoopbackForwarders();
    // The metrics/health port is forwarded too.
    const res = await fetch(
      sb
        .get()
        .component('milvus')
        .endpoints.metrics!.replace(/\/metrics$/, '/healthz'),
    );
    expect(res.status).toBe(200);
  });

  it('inserts, flushes, indexes (IVF_FLAT) and finds each vector as its own nearest neighbour', async () => {
    const c = client();
    try {
      ok(
        await c.createCollection({
          collection_name: COLLECTION,
          shards_num: 1,
          fields: [
            { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
            { name: 'vec', data_type: DataType.FloatVector, dim: DIM },
          ],
        }),
        'createCollection',
      );
      const inserted = await c.insert({
        collection_name: COLLECTION,
        data: data.map((vec, id) => ({ id, vec })),
      });
      ok(inserted.status, 'insert');
      expect(Number(inserted.insert_cnt)).toBe(ROWS);
      await c.flushSync({ collection_names: [COLLECTION] });

      ok(
        await c.createIndex({
          collection_name: COLLECTION,
          field_name: 'vec',
          index_type: 'IVF_FLAT',
          metric_type: 'L2',
          params: { nlist: 32 },
        }),
        'createIndex',
      );
      await waitFor(
        'the IVF_FLAT index to cover every row',
        async () => {
          const p = await c.getIndexBuildProgress({ collection_name: COLLECTION, field_name: 'vec' });
          return Number(p.indexed_rows) === ROWS && Number(p.total_rows) === ROWS;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      const index = await c.describeIndex({ collection_name: COLLECTION, field_name: 'vec' });
      expect(index.index_descriptions[0]!.params.find((p) => p.key === 'index_type')?.value).toBe('IVF_FLAT');

      ok(await c.loadCollectionSync({ collection_name: COLLECTION }), 'loadCollection');
      const count = await c.count({ collection_name: COLLECTION });
      expect(Number(count.data)).toBe(ROWS);
      await expectSelfIsNearest(c);
      console.log(
        `[e2e-milvus] RSS with ${ROWS} vectors loaded: ${rssMiB(markedProcesses(sb.get().state.id))} MiB`,
      );
    } finally {
      c.closeConnection();
    }
  });

  it('killed: the client fails and the sandbox reports it down', async () => {
    expect(await sb.get().kill('milvus')).toEqual(['milvus-0']);
    const c = client(3_000);
    try {
      await expect(c.checkHealth()).rejects.toThrow();
      await expect(c.search({ collection_name: COLLECTION, vector: data[0]!, limit: 1 })).rejects.toThrow();
    } finally {
      c.closeConnection();
    }
    const status = (await sb.get().status()).milvus!;
    expect(status[0]!.up).toBe(false);
    // Milvus, both forwarders and whatever they started went down together.
    await waitFor(
      'every process of the member to be gone',
      async () => markedProcesses(sb.get().state.id).length === 0,
      {
        timeoutMs: 5_000,
        intervalMs: 100,
      },
    );
  });

  it('restarted: the collection, its index and every row are still there after a fresh load', async () => {
    const started = Date.now();
    expect(await sb.get().restart('milvus')).toEqual(['milvus-0']);
    console.log(`[e2e-milvus] restart to healthy: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect((await sb.get().status()).milvus![0]!.up).toBe(true);
    if (asRoot) expectOnlyLoopbackForwarders();
    const c = client();
    try {
      expect((await c.hasCollection({ collection_name: COLLECTION })).value).toBe(true);
      // A fresh process has nothing in memory: release whatever it restored and load from disk.
      ok(await c.releaseCollection({ collection_name: COLLECTION }), 'releaseCollection');
      ok(await c.loadCollectionSync({ collection_name: COLLECTION }), 'loadCollection after restart');
      const index = await c.describeIndex({ collection_name: COLLECTION, field_name: 'vec' });
      expect(index.index_descriptions[0]!.params.find((p) => p.key === 'index_type')?.value).toBe('IVF_FLAT');
      expect(Number((await c.count({ collection_name: COLLECTION })).data)).toBe(ROWS);
      await expectSelfIsNearest(c);
    } finally {
      c.closeConnection();
    }
  });

  it('down leaves no process of the sandbox behind', async () => {
    const id = sb.get().state.id;
    const member = sb.get().component('milvus').members[0]!;
    // Milvus (and, as root, the forwarders on both sides of its namespace), found by the marker.
    expect(markedProcesses(id)).toEqual(expect.arrayContaining(Object.values(member.pids)));
    expect(Object.keys(member.pids)).toHaveLength(asRoot ? 2 : 1);
    await sb.get().down();
    expect(markedProcesses(id)).toEqual([]);
    expect(Sandbox.exists({ name: 'e2e-milvus' })).toBe(false);
  });
});
