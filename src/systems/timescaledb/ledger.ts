// The drills' tables on the primary and the SQL on them: the canary (an INSERT plus a SELECT), the
// ledger (one autocommit INSERT per record, read back and hashed here), the schema (a hypertable
// when the TimescaleDB extension is there), and the live server facts the evidence keeps.
import { createHash } from 'node:crypto';
import type { ReadBackRecord } from '../../measure/types.ts';
import { NotSent, type PrimaryLocator, type Pools } from './client.ts';
import type { Patroni, PrimaryRef } from './patroni.ts';

export const LEDGER_TABLE = 'firedrill_ledger';
export const CANARY_TABLE = 'firedrill_canary';
/** The evidence document a drill keeps the LedgerTableInfo in. */
export const LEDGER_TABLE_FILE = 'ledger-table.json';

/** What the SQL here needs: Patroni to find the primary, pools to reach it. */
export interface PrimaryClient {
  patroni: Patroni;
  locator: PrimaryLocator;
  pools: Pools;
  /** The primary the canary last wrote to (asked first next time). */
  canaryPrimary?: string;
}

/** A write plus a read on the member that answers GET /primary 200 right now. */
export async function canary(s: PrimaryClient, runId: string): Promise<void> {
  const primary = await s.patroni.primary(s.canaryPrimary, 400);
  s.canaryPrimary = primary.member;
  await s.pools.with(primary, 'canary', async (c) => {
    const ins = await c.query<{ id: string }>(
      `INSERT INTO ${CANARY_TABLE} (run_id) VALUES ($1) RETURNING id`,
      [runId],
    );
    const read = await c.query(`SELECT written_at FROM ${CANARY_TABLE} WHERE id = $1`, [ins.rows[0]!.id]);
    if (read.rowCount !== 1)
      throw new Error(`canary row ${ins.rows[0]!.id} not read back on ${primary.member}`);
  });
}

/** One ledger record, committed on the current primary (autocommit: acknowledged = committed). */
export async function writeLedger(
  s: PrimaryClient,
  record: { key: string; payload: string | Buffer },
): Promise<{ position: string }> {
  let primary: PrimaryRef;
  try {
    primary = await s.locator.get();
  } catch (err) {
    throw new NotSent(err);
  }
  try {
    const sha = createHash('sha256').update(record.payload).digest('hex');
    const { rows } = await s.pools.with(primary, 'ledger', (c) =>
      c.query<{ xid: string }>(
        `INSERT INTO ${LEDGER_TABLE} (key, payload, sha256) VALUES ($1, $2, $3) RETURNING pg_current_xact_id()::text AS xid`,
        [record.key, record.payload, sha],
      ),
    );
    return { position: `${primary.member} xid ${rows[0]!.xid}` };
  } catch (err) {
    s.locator.forget(primary.member);
    throw err;
  }
}

/** Every ledger row of the run, from the primary, hashed here (not trusting the stored hash). */
export async function readLedger(s: PrimaryClient, prefix: string): Promise<ReadBackRecord[]> {
  const primary = await s.patroni.primary(undefined, 2_000);
  return s.pools.with(primary, 'admin', async (c) => {
    const { rows } = await c.query<{ key: string; payload: Buffer }>(
      `SELECT key, payload FROM ${LEDGER_TABLE} WHERE left(key, length($1)) = $1`,
      [prefix],
    );
    return rows.map((r) => ({ key: r.key, sha256: createHash('sha256').update(r.payload).digest('hex') }));
  });
}

export interface LedgerTableInfo {
  table: string;
  hypertable: boolean;
  /** The outcome of `CREATE EXTENSION timescaledb` (attempted on every preflight). */
  timescaledb: { available: boolean; version?: string; error?: string };
}

/**
 * Creates the canary and ledger tables (idempotent). `CREATE EXTENSION timescaledb` is attempted
 * first, as the superuser: when it works the ledger becomes a hypertable on written_at (whose key
 * must then include the partitioning column); when it does not (plain PostgreSQL, as in the
 * sandbox) it stays an ordinary table, and the reason is kept for the evidence.
 */
export async function ensureSchema(s: PrimaryClient): Promise<LedgerTableInfo> {
  const primary = await s.patroni.primary(undefined, 2_000);
  const timescaledb: LedgerTableInfo['timescaledb'] = { available: false };
  await s.pools.with(
    primary,
    'admin',
    async (c) => {
      try {
        await c.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
        const v = await c.query<{ v: string }>(
          "SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'",
        );
        timescaledb.available = true;
        timescaledb.version = v.rows[0]?.v;
      } catch (err) {
        timescaledb.error = (err as Error).message;
      }
    },
    'superuser',
  );
  const hypertable = await s.pools.with(primary, 'admin', async (c) => {
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${CANARY_TABLE} (id bigserial PRIMARY KEY, run_id text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`,
    );
    const exists = (await c.query('SELECT 1 FROM pg_class WHERE relname = $1', [LEDGER_TABLE])).rowCount;
    if (!exists) {
      const key = timescaledb.available ? 'PRIMARY KEY (key, written_at)' : 'PRIMARY KEY (key)';
      await c.query(
        `CREATE TABLE ${LEDGER_TABLE} (key text NOT NULL, payload bytea NOT NULL, sha256 text NOT NULL, written_at timestamptz NOT NULL DEFAULT now(), ${key})`,
      );
      if (timescaledb.available)
        await c.query(`SELECT create_hypertable('${LEDGER_TABLE}', 'written_at', if_not_exists => TRUE)`);
    }
    if (!timescaledb.available) return false;
    const h = await c.query('SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = $1', [
      LEDGER_TABLE,
    ]);
    return (h.rowCount ?? 0) > 0;
  });
  return { table: LEDGER_TABLE, hypertable, timescaledb };
}

export interface ReplicaLag {
  name: string;
  sync: string;
  /** WAL the primary has written that the replica has not yet flushed. */
  flushLagBytes: number;
}

/** Each replica's flush lag behind the primary right now (pg_stat_replication, as superuser). */
export async function replicationLag(s: PrimaryClient): Promise<ReplicaLag[]> {
  const primary = await s.patroni.primary(s.canaryPrimary, 500);
  return s.pools.with(
    primary,
    'canary',
    async (c) => {
      const { rows } = await c.query<{ name: string; sync: string; lag: string }>(
        `SELECT application_name AS name, sync_state AS sync,
                pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::bigint::text AS lag
           FROM pg_stat_replication ORDER BY application_name`,
      );
      return rows.map((r) => ({ name: r.name, sync: r.sync, flushLagBytes: Number(r.lag) }));
    },
    'superuser',
  );
}

/** Live server facts for the evidence (from the primary, when there is one). */
export async function serverSettings(s: PrimaryClient): Promise<Record<string, unknown>> {
  const primary = await s.patroni.primary(undefined, 2_000);
  const members = await s.patroni.cluster();
  const version = await s.patroni
    .status(members.find((m) => m.name === primary.member)!)
    .catch(() => undefined);
  return s.pools.with(primary, 'admin', async (c) => {
    const { rows } = await c.query<{ name: string; setting: string }>(
      `SELECT name, setting || coalesce(unit, '') AS setting FROM pg_settings
        WHERE name IN ('server_version', 'synchronous_commit', 'synchronous_standby_names', 'archive_mode', 'archive_timeout', 'wal_level', 'wal_keep_size')`,
    );
    return {
      primary: primary.member,
      patroniVersion: version?.patroni?.version,
      ...Object.fromEntries(rows.map((r) => [r.name, r.setting])),
    };
  });
}
