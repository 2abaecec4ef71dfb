// TimescaleDB tier in the sandbox (PostgreSQL 15 under Patroni, etcd as DCS, WAL to pgBackRest),
// with real clients: the primary found through Patroni's REST API, rows written there and read on
// the replicas, a replica SIGKILLed and seen unreachable, restart healing it, and a clean `down`.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { findPrimary } from '../../src/platform/local/components/timescaledb/cluster.ts';
import {
  pgbackrest,
  type PgbackrestInfo,
} from '../../src/platform/local/components/timescaledb/pgbackrest.ts';
import type { Credentials } from '../../src/systems/timescaledb/names.ts';
import { markedProcesses, SANDBOX_MARKER } from '../../src/platform/local/process.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { component } from '../../src/topology/model.ts';
import { waitFor } from '../../src/util/wait.ts';
import { useSandbox } from './sandbox-harness.ts';

const NAME = 'e2e-tsdb';
const sb = useSandbox(NAME, ['timescaledb']);
const state = () => sb.get().component('timescaledb');
const creds = () => state().info.credentials as Credentials;

async function connect(port: number, opts: { timeoutMs?: number } = {}): Promise<pg.Client> {
  const { app } = creds();
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: app.username,
    password: app.password,
    database: app.database,
    connectionTimeoutMillis: opts.timeoutMs ?? 5_000,
  });
  client.on('error', () => {}); // a server killed under an open connection must not crash the run
  await client.connect();
  return client;
}

async function query<T extends pg.QueryResultRow>(
  port: number,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = await connect(port);
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

const rowCount = async (port: number) =>
  Number((await query<{ n: string }>(port, 'SELECT count(*) AS n FROM e2e_events'))[0]!.n);

/** pid → {ppid, start time} for every live process (start time guards against pid reuse). */
function processTable(): Map<number, { ppid: number; start: string }> {
  const table = new Map<number, { ppid: number; start: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      table.set(Number(entry), { ppid: Number(fields[1]), start: fields[19]! });
    } catch {
      /* gone */
    }
  }
  return table;
}

/** The marked processes and all their descendants (postgres backends included). */
function sandboxTree(id: string): Map<number, string> {
  const table = processTable();
  const tree = new Map<number, string>();
  for (const pid of markedProcesses(id)) if (table.has(pid)) tree.set(pid, table.get(pid)!.start);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of table) {
      if (!tree.has(pid) && tree.has(p.ppid)) {
        tree.set(pid, p.start);
        grew = true;
      }
    }
  }
  return tree;
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
};

describe('sandbox: timescaledb', () => {
  it('runs one primary and two streaming replicas with the Patroni settings of the topology model', async () => {
    const model = component(loadTopology(), 'timescaledb');
    const modelDcs = YAML.parse(model.configFiles['patroni.yaml']!).bootstrap.dcs;
    const s = state();
    expect(s.members).toHaveLength(model.replicas!);
    expect(s.support?.map((m) => m.name)).toEqual(['timescaledb-etcd']);
    expect(s.info).toMatchObject({
      ttl: modelDcs.ttl,
      loop_wait: modelDcs.loop_wait,
      retry_timeout: modelDcs.retry_timeout,
      synchronous_mode: modelDcs.synchronous_mode,
      maximum_lag_on_failover: modelDcs.maximum_lag_on_failover,
      archive_timeout: modelDcs.postgresql.parameters.archive_timeout,
    });

    // What Patroni really runs with: the cluster-wide configuration it keeps in etcd.
    const res = await fetch(`${s.endpoints.patroni!.split(',')[0]}/config`);
    const config = (await res.json()) as Record<string, unknown> & { postgresql: { parameters: object } };
    for (const key of ['ttl', 'loop_wait', 'retry_timeout', 'maximum_lag_on_failover', 'synchronous_mode']) {
      expect(config[key], key).toEqual(modelDcs[key]);
    }
    expect(config.postgresql.parameters).toMatchObject(modelDcs.postgresql.parameters);

    const health = (await sb.get().status()).timescaledb!;
    expect(
      health.every((m) => m.up),
      JSON.stringify(health),
    ).toBe(true);
    expect(health.filter((m) => m.detail.startsWith('primary running'))).toHaveLength(1);
    expect(health.filter((m) => m.detail.startsWith('replica running, streaming'))).toHaveLength(2);

    // Exactly one member answers GET /primary, and the others GET /replica.
    const primary = await findPrimary(s);
    for (const m of s.members) {
      const res = await fetch(
        `http://127.0.0.1:${m.ports.patroni}/${m.name === primary.member ? 'primary' : 'replica'}`,
      );
      expect(res.status, m.name).toBe(200);
    }
  });

  it('archives WAL to the pgBackRest repository', async () => {
    const info = state().info.pgbackrest as PgbackrestInfo;
    const archive = join(info.repoPath, 'archive', info.stanza);
    expect(existsSync(join(archive, 'archive.info'))).toBe(true);
    const primary = await findPrimary(state());
    const [setting] = await query<{ archive_command: string }>(
      primary.port,
      "SELECT current_setting('archive_command') AS archive_command",
    );
    expect(setting!.archive_command).toMatch(/pgbackrest --config=\S+ --stanza=timescaledb archive-push %p/);
    const segments = readdirSync(archive)
      .filter((d) => /^15-\d+$/.test(d))
      .flatMap((d) => readdirSync(join(archive, d)).flatMap((sub) => readdirSync(join(archive, d, sub))));
    expect(segments.some((f) => /^[0-9A-F]{24}-[0-9a-f]{40}/.test(f))).toBe(true);

    // pgBackRest itself (run as the sandbox's user, like the drills will) sees a healthy stanza.
    const { stdout } = await pgbackrest(sb.get().context, state(), ['info', '--output=json']);
    const [stanza] = JSON.parse(stdout) as {
      name: string;
      status: { code: number };
      archive: { min: string }[];
    }[];
    expect(stanza!.name).toBe('timescaledb');
    expect(stanza!.status.code).toBe(2); // 2 = "no valid backups": the stanza exists, nothing backed up yet
    expect(stanza!.archive[0]!.min).toMatch(/^[0-9A-F]{24}$/);
  });

  it('rows written on the primary are read on both replicas', async () => {
    const s = state();
    const primary = await findPrimary(s);
    const client = await connect(primary.port);
    try {
      expect((await client.query('SELECT pg_is_in_recovery() AS r')).rows[0].r).toBe(false);
      await client.query('CREATE TABLE e2e_events (id int PRIMARY KEY, note text NOT NULL)');
      await client.query("INSERT INTO e2e_events SELECT g, 'row ' || g FROM generate_series(1, 100) g");
    } finally {
      await client.end();
    }
    const replicas = s.members.filter((m) => m.name !== primary.member);
    expect(replicas).toHaveLength(2);
    for (const r of replicas) {
      await waitFor(
        `${r.name} to replay the 100 rows`,
        async () => (await rowCount(r.ports.postgres!)) === 100,
        { timeoutMs: 30_000 },
      );
      expect((await query<{ r: boolean }>(r.ports.postgres!, 'SELECT pg_is_in_recovery() AS r'))[0]!.r).toBe(
        true,
      );
      await expect(
        query(r.ports.postgres!, "INSERT INTO e2e_events VALUES (0, 'on a replica')"),
      ).rejects.toThrow(/read-only/);
    }
  });

  it('every postgres process belongs to the sandbox: postmasters carry the marker, backends descend from them', () => {
    const s = state();
    const id = sb.get().state.id;
    const tree = sandboxTree(id);
    const postgres = [...tree.keys()].filter((pid) => /postgres/.test(cmdline(pid)));
    const postmasters = postgres.filter((pid) => cmdline(pid).includes(' -D '));
    expect(postmasters).toHaveLength(s.members.length);
    for (const pid of postmasters) {
      expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).toContain(`${SANDBOX_MARKER}=${id}\0`);
    }
    // Backends (walsenders, checkpointer, …) exist besides the postmasters and are all in the tree.
    expect(postgres.length).toBeGreaterThan(postmasters.length * 3);
  });

  it('a SIGKILLed replica is unreachable, and restart brings it back streaming with every row', async () => {
    const s = state();
    const primary = await findPrimary(s);
    const victim = s.members.find((m) => m.name !== primary.member)!;
    const port = victim.ports.postgres!;
    // Connected before the kill: the client sees its connection die.
    const before = await connect(port);
    const broken = new Promise<Error>((resolve) => before.once('error', resolve));

    expect(await sb.get().kill('timescaledb', victim.index)).toEqual([victim.name]);
    const killedAt = Date.now();
    const err = await Promise.race([
      broken,
      new Promise<string>((r) => setTimeout(() => r('no error'), 10_000)),
    ]);
    expect(err).toBeInstanceOf(Error);
    await before.end().catch(() => {});
    // The kernel tears the member's PID namespace down as `kill` returns; within moments nothing
    // listens on the port any more (a connection caught mid-teardown may be reset instead).
    await waitFor(
      `${victim.name} to refuse connections`,
      async () => {
        const error = await connect(port, { timeoutMs: 1_000 }).then(
          async (c) => (await c.end(), undefined),
          (e: Error) => e,
        );
        return error?.message.includes('ECONNREFUSED');
      },
      { timeoutMs: 5_000, intervalMs: 20 },
    );
    console.log(
      `[e2e-tsdb] ${victim.name} refused connections ${Date.now() - killedAt} ms after kill returned`,
    );
    await expect(fetch(`http://127.0.0.1:${victim.ports.patroni}/patroni`)).rejects.toThrow();
    const down = (await sb.get().status()).timescaledb!;
    expect(down.find((m) => m.member === victim.name)!.up).toBe(false);
    expect((await findPrimary(s)).member).toBe(primary.member);

    // Written while the replica is down: it must catch up after the restart.
    await query(
      primary.port,
      "INSERT INTO e2e_events SELECT g, 'while down ' || g FROM generate_series(101, 150) g",
    );

    const t0 = Date.now();
    expect(await sb.get().restart('timescaledb')).toEqual([victim.name]);
    console.log(
      `[e2e-tsdb] ${victim.name} streaming again ${((Date.now() - t0) / 1000).toFixed(1)} s after restart`,
    );
    await waitFor(`${victim.name} to have all 150 rows`, async () => (await rowCount(port)) === 150, {
      timeoutMs: 30_000,
    });
    const health = (await sb.get().status()).timescaledb!;
    expect(
      health.every((m) => m.up),
      JSON.stringify(health),
    ).toBe(true);
    expect(health.find((m) => m.member === victim.name)!.detail).toMatch(/^replica running, streaming/);
    const res = await fetch(`http://127.0.0.1:${victim.ports.patroni}/replica`);
    expect(res.status).toBe(200);
  });

  it('down leaves no process of the sandbox behind, postgres backends included', async () => {
    const id = sb.get().state.id;
    const before = sandboxTree(id);
    expect(before.size).toBeGreaterThan(10);
    await sb.get().down();
    expect(markedProcesses(id)).toEqual([]);
    const table = processTable();
    const survivors = [...before]
      .filter(([pid, start]) => table.get(pid)?.start === start)
      .map(([pid]) => `${pid} ${cmdline(pid)}`);
    expect(survivors).toEqual([]);
    expect(Sandbox.exists({ name: NAME })).toBe(false);
  });
});
