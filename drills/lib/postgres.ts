// The PostgreSQL client path the TimescaleDB drills share, as an application would have it: the
// primary is whichever member Patroni's REST API says it is (`GET /primary`, `/cluster`), never a
// fixed host; connection pools follow it (a failed write drops its connection and asks Patroni
// again); the ledger is a table (a hypertable when the TimescaleDB extension is there); the canary
// is an INSERT plus a SELECT on the primary; health is the cluster as Patroni reports it.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { DrillDefinition, DrillEnv, LedgerRecord } from '../../src/drill/definition.ts';
import type { ReadBackRecord } from '../../src/measure/types.ts';
import { UserError } from '../../src/util/errors.ts';
import { sleep } from '../../src/util/wait.ts';

export const COMPONENT = 'timescaledb';
export const LEDGER_TABLE = 'firedrill_ledger';
export const CANARY_TABLE = 'firedrill_canary';

interface Credentials {
  superuser: { username: string; password: string };
  app: { username: string; password: string; database: string };
}

const credentials = (env: DrillEnv) => env.platform.info(COMPONENT).credentials as Credentials;

/** Asks the platform for a named operation (kill-postmaster, backup, restore…), or says it cannot. */
export async function action<T>(env: DrillEnv, name: string, args: Record<string, unknown> = {}): Promise<T> {
  if (!env.platform.action) {
    throw new UserError(
      `platform "${env.platform.ref.kind}" cannot run the ${COMPONENT} action "${name}" this drill needs`,
    );
  }
  return (await env.platform.action(COMPONENT, name, args)) as T;
}

// --- Patroni ------------------------------------------------------------------------------------

export interface PrimaryRef {
  member: string;
  host: string;
  port: number;
}

/** One member as GET /cluster lists it. */
export interface ClusterMember {
  name: string;
  role: string;
  state: string;
  host: string;
  port: number;
  api: string;
  timeline?: number;
  lag?: number | string;
}

interface PatroniStatus {
  state?: string;
  role?: string;
  timeline?: number;
  postmaster_start_time?: string;
  replication?: { application_name: string; state: string; sync_state?: string }[];
  patroni?: { version?: string };
}

/** The cluster as Patroni reports it, judged against the members the platform runs. */
export interface Health {
  /** The running primary (Patroni role master/primary, state running), if any. */
  leader?: string;
  leaderTimeline?: number;
  /** When the leader's postmaster started (epoch ms). */
  leaderStartedAt?: number;
  /** Replicas the leader streams to (its pg_stat_replication). */
  streaming: string[];
  /** The replica the primary's commits wait for and that Patroni may promote (synchronous_mode). */
  syncStandby?: string;
  members: ClusterMember[];
  /** Every platform member: the leader, or a replica streaming from it. */
  healthy: boolean;
  /** Platform members that are neither the leader nor streaming. */
  lagging: string[];
  summary: string;
}

const isPrimaryRole = (role?: string) => role === 'master' || role === 'primary' || role === 'leader';

export class Patroni {
  private readonly urls: string[];
  /** REST base URL → member, learnt from GET /cluster (ports never move). */
  private readonly byUrl = new Map<string, ClusterMember>();

  constructor(private readonly env: DrillEnv) {
    this.urls = env.platform.endpoints(COMPONENT).patroni!.split(',');
  }

  async get<T = unknown>(
    base: string,
    path: string,
    timeoutMs = 1_000,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: body as T };
  }

  /** GET /cluster from the first member that answers. */
  async cluster(timeoutMs = 1_000): Promise<ClusterMember[]> {
    let last: unknown;
    for (const url of this.urls) {
      try {
        const { status, body } = await this.get<{
          members?: (Omit<ClusterMember, 'api'> & { api_url: string })[];
        }>(url, '/cluster', timeoutMs);
        if (status !== 200 || !body.members) throw new Error(`GET ${url}/cluster: HTTP ${status}`);
        const members = body.members.map(({ api_url, ...m }) => ({
          ...m,
          api: api_url.replace(/\/patroni$/, ''),
        }));
        for (const m of members) this.byUrl.set(m.api, m);
        return members;
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no Patroni member answers GET /cluster (${(last as Error)?.message ?? 'no endpoints'})`);
  }

  private async memberAt(url: string): Promise<ClusterMember> {
    if (!this.byUrl.has(url)) await this.cluster();
    const m = this.byUrl.get(url);
    if (!m) throw new Error(`${url} is not a member of the Patroni cluster`);
    return m;
  }

  /**
   * The one member whose GET /primary answers 200, with its PostgreSQL address. Asks `hint` (the
   * last primary seen) first and every member only when it is not primary (any more).
   */
  async primary(hint?: string, timeoutMs = 500): Promise<PrimaryRef> {
    const ask = (url: string) =>
      this.get(url, '/primary', timeoutMs).then(
        (r) => r.status,
        () => 0,
      );
    const hinted = hint ? [...this.byUrl.values()].find((m) => m.name === hint)?.api : undefined;
    if (hinted && (await ask(hinted)) === 200) {
      const m = this.byUrl.get(hinted)!;
      return { member: m.name, host: m.host, port: m.port };
    }
    const answers = await Promise.all(this.urls.map(async (url) => ({ url, status: await ask(url) })));
    const primaries = answers.filter((a) => a.status === 200);
    if (primaries.length !== 1) {
      const seen = answers.map((a) => `${a.url}: ${a.status || 'unreachable'}`).join(', ');
      throw new Error(
        `${primaries.length ? 'more than one' : 'no'} member answers GET /primary 200 (${seen})`,
      );
    }
    const m = await this.memberAt(primaries[0]!.url);
    return { member: m.name, host: m.host, port: m.port };
  }

  /** The cluster-wide (DCS) configuration: ttl, loop_wait, synchronous_mode… */
  async config(): Promise<Record<string, unknown>> {
    let last: unknown;
    for (const url of this.urls) {
      try {
        const { status, body } = await this.get<Record<string, unknown>>(url, '/config');
        if (status === 200) return body;
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no Patroni member answers GET /config (${(last as Error)?.message ?? ''})`);
  }

  async status(member: ClusterMember): Promise<PatroniStatus> {
    return (await this.get<PatroniStatus>(member.api, '/patroni')).body;
  }

  /** Who leads, who streams from it, judged against every member the platform runs. */
  async health(): Promise<Health> {
    const expected = this.env.platform.members(COMPONENT).map((m) => m.name);
    const members = await this.cluster();
    const candidates = members.filter((m) => isPrimaryRole(m.role));
    let leader: ClusterMember | undefined;
    let status: PatroniStatus | undefined;
    for (const c of candidates) {
      const s = await this.status(c).catch(() => undefined);
      if (s && isPrimaryRole(s.role) && s.state === 'running') {
        leader = c;
        status = s;
        break;
      }
    }
    const streaming = (status?.replication ?? [])
      .filter((r) => r.state === 'streaming')
      .map((r) => r.application_name);
    // A synchronous standby in both places Patroni keeps it: the primary's commits wait for it
    // (pg_stat_replication), and the DCS names it (/sync, shown as role sync_standby), which is what
    // makes it eligible for promotion. Patroni sets the first and writes the second ~2 s later.
    const syncStandby = (status?.replication ?? []).find(
      (r) =>
        r.state === 'streaming' &&
        (r.sync_state === 'sync' || r.sync_state === 'quorum') &&
        members.some((m) => m.name === r.application_name && m.role === 'sync_standby'),
    )?.application_name;
    const lagging = expected.filter((name) => name !== leader?.name && !streaming.includes(name));
    const describe = (name: string) => {
      const m = members.find((x) => x.name === name);
      if (name === leader?.name) return `${name} primary (timeline ${status?.timeline ?? '?'})`;
      if (streaming.includes(name))
        return `${name} replica streaming${name === syncStandby ? ' (sync)' : ''}`;
      return m ? `${name} ${m.role} ${m.state}, not streaming` : `${name} not registered (down)`;
    };
    const startedAt = status?.postmaster_start_time
      ? Date.parse(status.postmaster_start_time.replace(' ', 'T'))
      : undefined;
    return {
      leader: leader?.name,
      leaderTimeline: status?.timeline,
      leaderStartedAt: Number.isFinite(startedAt) ? startedAt : undefined,
      streaming,
      syncStandby,
      members,
      healthy: leader !== undefined && lagging.length === 0,
      lagging,
      summary: leader
        ? expected.map(describe).join('; ')
        : `no running primary; ${expected.map(describe).join('; ')}`,
    };
  }

  /** Re-initialises a member from the leader (Patroni wipes its data and clones it again). */
  async reinitialize(name: string): Promise<void> {
    const m = (await this.cluster()).find((x) => x.name === name);
    if (!m) throw new Error(`${name} is not registered with Patroni: it cannot be re-initialised`);
    const res = await fetch(`${m.api}/reinitialize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ force: true }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${m.api}/reinitialize: HTTP ${res.status} ${text}`);
  }
}

// --- following the primary ---------------------------------------------------------------------

/**
 * Where writes go now. A write asks for the primary on every attempt; the answer is Patroni's,
 * at most `ttlMs` old, and forgotten as soon as a write fails. Concurrent writers share one
 * question in flight and a refusing cluster is asked at most every `minIntervalMs`, so that the
 * ledger cannot load Patroni's REST API (and so its HA loop) while it looks for a primary.
 */
export class PrimaryLocator {
  private current?: { ref: PrimaryRef; at: number };
  private inflight?: Promise<PrimaryRef>;
  private lastAsked = 0;

  constructor(
    private readonly patroni: Patroni,
    private readonly ttlMs = 250,
    private readonly minIntervalMs = 100,
  ) {}

  async get(): Promise<PrimaryRef> {
    if (this.current && Date.now() - this.current.at < this.ttlMs) return this.current.ref;
    this.inflight ??= (async () => {
      try {
        const wait = this.lastAsked + this.minIntervalMs - Date.now();
        if (wait > 0) await sleep(wait);
        this.lastAsked = Date.now();
        const ref = await this.patroni.primary(this.current?.ref.member);
        this.current = { ref, at: Date.now() };
        return ref;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  forget(member?: string): void {
    if (!member || this.current?.ref.member === member) this.current = undefined;
  }
}

/** The write was never sent: no primary, or no connection to it. Definitely not committed. */
export class NotSent extends Error {
  constructor(cause: unknown) {
    super(`not sent: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * SQLSTATEs that guarantee the statement did not commit: read-only transaction (a replica, or a
 * demoted primary), the server is starting or shutting down (at connect), too many connections,
 * serialization failure / deadlock (rolled back), unique violation (not inserted), undefined table.
 * Everything else after sending (a reset connection, admin_shutdown mid-commit, a timeout) is unknown.
 */
const DEFINITE_SQLSTATE = new Set(['25006', '57P03', '53300', '40001', '40P01', '23505', '42P01']);

export function isDefiniteFailure(err: unknown): boolean {
  if (err instanceof NotSent) return true;
  const code = (err as { code?: string })?.code;
  return typeof code === 'string' && DEFINITE_SQLSTATE.has(code);
}

type Purpose = 'ledger' | 'canary' | 'admin';

const POOL_SETTINGS: Record<Purpose, { max: number; connectMs: number; queryMs: number }> = {
  // The engine gives a write 5 s before calling it unknown; the query gives up just before.
  ledger: { max: 8, connectMs: 1_000, queryMs: 4_500 },
  // A canary has 1 s in all (REST + connect + INSERT + SELECT).
  canary: { max: 2, connectMs: 500, queryMs: 700 },
  admin: { max: 2, connectMs: 3_000, queryMs: 60_000 },
};

/** One pool per (member, purpose), as the application user. A failed client is destroyed. */
export class Pools {
  private readonly pools = new Map<string, pg.Pool>();

  constructor(private readonly env: DrillEnv) {}

  pool(ref: PrimaryRef, purpose: Purpose, as: 'app' | 'superuser' = 'app'): pg.Pool {
    const key = `${purpose}/${as}@${ref.host}:${ref.port}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const creds = credentials(this.env);
      const user = as === 'app' ? creds.app : creds.superuser;
      const settings = POOL_SETTINGS[purpose];
      pool = new pg.Pool({
        host: ref.host,
        port: ref.port,
        user: user.username,
        password: user.password,
        database: creds.app.database,
        max: settings.max,
        connectionTimeoutMillis: settings.connectMs,
        query_timeout: settings.queryMs,
        idleTimeoutMillis: 30_000,
      });
      // A server killed under a checked-out client must not crash the worker.
      pool.on('error', () => {});
      pool.on('connect', (client) => client.on('error', () => {}));
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Runs `fn` on a client of the primary's pool; connection failures are NotSent. */
  async with<T>(
    ref: PrimaryRef,
    purpose: Purpose,
    fn: (c: pg.PoolClient) => Promise<T>,
    as: 'app' | 'superuser' = 'app',
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool(ref, purpose, as).connect();
    } catch (err) {
      throw new NotSent(err);
    }
    try {
      const out = await fn(client);
      client.release();
      return out;
    } catch (err) {
      client.release(err as Error); // destroyed: its connection may be broken or mid-query
      throw err;
    }
  }

  async end(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((p) => p.end()));
    this.pools.clear();
  }
}

// --- the drill state: canary, ledger, read-back ------------------------------------------------

export interface PgState {
  patroni: Patroni;
  locator: PrimaryLocator;
  pools: Pools;
  /** The primary the canary last wrote to (asked first next time). */
  canaryPrimary?: string;
  /** What fullyRecovered() has already put on the timeline. */
  seen: Set<string>;
  lastLeader?: string;
  lastSync?: string | null;
}

export function openState(env: DrillEnv): PgState {
  const patroni = new Patroni(env);
  return { patroni, locator: new PrimaryLocator(patroni), pools: new Pools(env), seen: new Set() };
}

export async function closeState(s: PgState): Promise<void> {
  await s.pools.end();
}

/** A write plus a read on the member that answers GET /primary 200 right now. */
export async function canary(env: DrillEnv, s: PgState): Promise<void> {
  const primary = await s.patroni.primary(s.canaryPrimary, 400);
  s.canaryPrimary = primary.member;
  await s.pools.with(primary, 'canary', async (c) => {
    const ins = await c.query<{ id: string }>(
      `INSERT INTO ${CANARY_TABLE} (run_id) VALUES ($1) RETURNING id`,
      [env.runId],
    );
    const read = await c.query(`SELECT written_at FROM ${CANARY_TABLE} WHERE id = $1`, [ins.rows[0]!.id]);
    if (read.rowCount !== 1)
      throw new Error(`canary row ${ins.rows[0]!.id} not read back on ${primary.member}`);
  });
}

/** One ledger record, committed on the current primary (autocommit: acknowledged = committed). */
export async function writeLedger(s: PgState, record: LedgerRecord): Promise<{ position: string }> {
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
export async function readLedger(s: PgState, prefix: string): Promise<ReadBackRecord[]> {
  const primary = await s.patroni.primary(undefined, 2_000);
  return s.pools.with(primary, 'admin', async (c) => {
    const { rows } = await c.query<{ key: string; payload: Buffer }>(
      `SELECT key, payload FROM ${LEDGER_TABLE} WHERE left(key, length($1)) = $1`,
      [prefix],
    );
    return rows.map((r) => ({ key: r.key, sha256: createHash('sha256').update(r.payload).digest('hex') }));
  });
}

// --- firing only while the drill runs ----------------------------------------------------------

const ledgerSize = (env: DrillEnv) => env.evidence.ledgerBytes();

/**
 * The steps every TimescaleDB drill takes the same way: the client state, the canary and the ledger
 * on whichever member is primary now. A drill spreads them into its definition.
 */
export const primaryClientSteps = {
  open: async (env) => openState(env),
  close: async (_env, s) => closeState(s),
  canary: async (env, s) => canary(env, s),
  write: async (_env, s, record) => writeLedger(s, record),
  isDefiniteFailure,
  readBack: async (_env, s, prefix) => readLedger(s, prefix),
} satisfies Pick<
  DrillDefinition<PgState>,
  'open' | 'close' | 'canary' | 'write' | 'isDefiniteFailure' | 'readBack'
>;
/**
 * Resolves once the ledger is seen writing (its log grows), or throws when it does not within
 * `withinMs`. The engine stops the ledger when a drill is aborted, before it compensates, and a
 * step is not told it was cancelled: an inject() that waits before firing calls this right
 * before env.fire(), so that an aborted drill never fires a fault that nobody would revert.
 */
export async function ledgerStillWriting(env: DrillEnv, withinMs = 3_000): Promise<void> {
  const start = ledgerSize(env);
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (ledgerSize(env) > start) return;
    await sleep(5);
  }
  throw new Error(`the ledger has stopped writing (was the drill aborted?): the fault is not fired`);
}

/** Sleeps `ms`, checking every second that the run is not aborted and the ledger still writes. */
export async function sleepWhileWriting(env: DrillEnv, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(Math.min(1_000, end - Date.now()));
    if (env.signal.aborted)
      throw env.signal.reason ?? new Error('aborted while waiting: the fault is not fired');
    await ledgerStillWriting(env);
  }
}

// --- evidence files in the run's folder --------------------------------------------------------

/** Writes the run's evidence document `name` atomically (the previous version survives a crash). */
export function writeEvidence(env: DrillEnv, name: string, value: unknown): void {
  env.evidence.write(name, value);
}

export function readEvidence<T>(env: DrillEnv, name: string): T | null {
  try {
    return env.evidence.read<T>(name) ?? null;
  } catch {
    return null; // a document cut short
  }
}

// --- schema ---------------------------------------------------------------------------------------

export interface LedgerTableInfo {
  table: string;
  hypertable: boolean;
  /** The outcome of `CREATE EXTENSION timescaledb` (attempted on every preflight). */
  timescaledb: { available: boolean; version?: string; error?: string };
}

const TABLE_FILE = 'ledger-table.json';

/**
 * Creates the canary and ledger tables (idempotent). `CREATE EXTENSION timescaledb` is attempted
 * first, as the superuser: when it works the ledger becomes a hypertable on written_at (whose key
 * must then include the partitioning column); when it does not (plain PostgreSQL, as in the
 * sandbox) it stays an ordinary table, and the reason is kept for the evidence.
 */
export async function ensureSchema(env: DrillEnv, s: PgState): Promise<LedgerTableInfo> {
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
  const info: LedgerTableInfo = { table: LEDGER_TABLE, hypertable, timescaledb };
  writeEvidence(env, TABLE_FILE, info);
  return info;
}

export function ledgerTableInfo(env: DrillEnv): LedgerTableInfo | null {
  return readEvidence<LedgerTableInfo>(env, TABLE_FILE);
}

// --- health, waiting, compensation -------------------------------------------------------------

/** Polls Patroni until `until` holds (default: the cluster is healthy) or the time is up; the last state. */
export async function waitHealthy(
  s: PgState | { patroni: Patroni },
  timeoutMs: number,
  until: (h: Health) => boolean = (h) => h.healthy,
): Promise<Health | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last: Health | undefined;
  for (;;) {
    last = await s.patroni.health().catch(() => last);
    if ((last && until(last)) || Date.now() > deadline) return last;
    await sleep(500);
  }
}

/**
 * Compensation shared by the TimescaleDB drills: every member running again (the killed node comes
 * back), one leader, every replica streaming; a member that cannot rejoin is re-initialised from
 * the leader. Throws while the cluster is not healthy (the engine retries the compensation).
 */
export async function healCluster(env: DrillEnv): Promise<Health> {
  const patroni = new Patroni(env);
  try {
    await env.platform.restart(COMPONENT);
  } catch (err) {
    env.log.warn(
      { error: (err as Error).message },
      'a member did not rejoin on restart; checking the cluster',
    );
  }
  let h = await waitHealthy({ patroni }, 120_000);
  if (h?.healthy) return h;
  if (!h?.leader)
    throw new Error(`no primary after restarting every member: ${h?.summary ?? 'Patroni unreachable'}`);
  for (const name of h.lagging) {
    env.log.warn({ member: name, health: h.summary }, 're-initialising a member that did not rejoin');
    await patroni
      .reinitialize(name)
      .catch((err: Error) => env.log.warn({ member: name, error: err.message }, 'reinitialize refused'));
  }
  h = await waitHealthy({ patroni }, 300_000);
  if (!h?.healthy)
    throw new Error(
      `the cluster is not healthy after re-initialising: ${h?.summary ?? 'Patroni unreachable'}`,
    );
  return h;
}

/** Patroni's settings that govern a failover, for the evidence. */
export async function patroniSettings(s: PgState): Promise<Record<string, unknown>> {
  const config = await s.patroni.config();
  const postgresql = (config.postgresql ?? {}) as {
    use_pg_rewind?: boolean;
    parameters?: Record<string, unknown>;
  };
  return {
    ttl: config.ttl,
    loop_wait: config.loop_wait,
    retry_timeout: config.retry_timeout,
    synchronous_mode: config.synchronous_mode ?? false,
    synchronous_mode_strict: config.synchronous_mode_strict ?? false,
    maximum_lag_on_failover: config.maximum_lag_on_failover,
    use_pg_rewind: postgresql.use_pg_rewind ?? false,
    archive_timeout: postgresql.parameters?.archive_timeout,
  };
}

export interface ReplicaLag {
  name: string;
  sync: string;
  /** WAL the primary has written that the replica has not yet flushed. */
  flushLagBytes: number;
}

/** Each replica's flush lag behind the primary right now (pg_stat_replication, as superuser). */
export async function replicationLag(s: PgState): Promise<ReplicaLag[]> {
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
export async function serverSettings(s: PgState): Promise<Record<string, unknown>> {
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
