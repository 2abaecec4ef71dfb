// The PostgreSQL client path as an application would have it: writes go to whichever member
// Patroni says is primary now (asked again as soon as a write fails), through one pool per
// (member, purpose); a write that was never sent, or that PostgreSQL refused in a way that
// guarantees nothing committed, is a definite failure — everything else after sending is unknown.
import { connect } from 'node:net';
import pg from 'pg';
import { sleep } from '../../util/wait.ts';
import type { Credentials } from './names.ts';
import type { Patroni, PrimaryRef } from './patroni.ts';

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

export type Purpose = 'ledger' | 'canary' | 'admin';

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

  /** `credentials` is asked when a pool is first made (the driver's, e.g. Platform.info). */
  constructor(private readonly credentials: () => Credentials) {}

  pool(ref: PrimaryRef, purpose: Purpose, as: 'app' | 'superuser' = 'app'): pg.Pool {
    const key = `${purpose}/${as}@${ref.host}:${ref.port}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const creds = this.credentials();
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

/**
 * Opens a TCP connection to a PostgreSQL address and closes it: undefined when it was accepted
 * (or the attempt timed out), else the error code (ECONNREFUSED: nothing listens, the postmaster
 * is gone).
 */
export function connectError(host: string, port: number, timeoutMs = 500): Promise<string | undefined> {
  return new Promise<string | undefined>((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (why?: string) => (socket.destroy(), resolve(why));
    socket.once('connect', () => done());
    socket.once('timeout', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code));
  });
}
