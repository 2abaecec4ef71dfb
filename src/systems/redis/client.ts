// A small Redis client over one TCP connection (RESP2, src/systems/redis/resp.ts): commands are
// pipelined in order, each with its own timeout, and a connection that broke is opened again by
// the next command — what a drill's ledger needs while the server is killed and comes back.
// The distinction that matters for the ledger is kept exact: a command that never left this
// process (no connection) is definitely not executed; one sent on a connection that then broke
// may or may not have been.
import { createConnection, type Socket } from 'node:net';
import type { Platform } from '../../platform/platform.ts';
import { UserError } from '../../util/errors.ts';
import { encodeCommand, parseInfo, RespError, RespParser, type RespValue } from './resp.ts';

export const COMPONENT = 'redis';

export interface RedisEndpoint {
  host: string;
  port: number;
  /** `requirepass` of the server; sent with AUTH on every new connection. */
  password?: string;
}

/** The command never reached the server: no connection could be opened (or authenticated). */
export class RedisNotSentError extends Error {
  override name = 'RedisNotSentError';
}

/** No reply within the command's timeout; the connection is dropped (its replies are out of step). */
export class RedisTimeoutError extends Error {
  override name = 'RedisTimeoutError';
}

interface Pending {
  resolve: (v: RespValue) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Connection {
  socket: Socket;
  pending: Pending[];
  closed: boolean;
}

export class RedisClient {
  private conn: Promise<Connection> | undefined;
  private destroyed = false;

  constructor(
    readonly endpoint: RedisEndpoint,
    private readonly opts: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {},
  ) {}

  /** Sends one command; resolves with its reply, rejects with RespError when the server refused it. */
  async command(args: (string | number | Buffer)[], timeoutMs?: number): Promise<RespValue> {
    if (this.destroyed) throw new RedisNotSentError('the Redis client is closed');
    const conn = await this.connection();
    return this.send(conn, args, timeoutMs ?? this.opts.commandTimeoutMs ?? 2_000);
  }

  /** A command whose reply is text (a status or a bulk string); null for a nil reply. */
  async text(args: (string | number | Buffer)[], timeoutMs?: number): Promise<string | null> {
    const v = await this.command(args, timeoutMs);
    if (v === null) return null;
    if (typeof v === 'string') return v;
    if (Buffer.isBuffer(v)) return v.toString('utf8');
    if (typeof v === 'number') return String(v);
    throw new Error(`${String(args[0])}: expected a text reply, got an array`);
  }

  /** INFO [section], parsed into fields. */
  async info(section?: string, timeoutMs?: number): Promise<Record<string, string>> {
    return parseInfo((await this.text(section ? ['INFO', section] : ['INFO'], timeoutMs)) ?? '');
  }

  close(): void {
    this.destroyed = true;
    void this.conn?.then((c) => c.socket.destroy()).catch(() => {});
    this.conn = undefined;
  }

  private connection(): Promise<Connection> {
    const live = this.conn;
    if (live) {
      return live.then((c) => {
        if (!c.closed) return c;
        if (this.conn === live) this.conn = undefined;
        return this.connection();
      });
    }
    const opening = this.open();
    this.conn = opening;
    opening.catch(() => {
      if (this.conn === opening) this.conn = undefined;
    });
    return opening;
  }

  private open(): Promise<Connection> {
    const { host, port, password } = this.endpoint;
    const where = `${host}:${port}`;
    return new Promise<Connection>((resolve, reject) => {
      const socket = createConnection({ host, port });
      socket.setNoDelay(true);
      const conn: Connection = { socket, pending: [], closed: false };
      const parser = new RespParser();
      let ready = false;
      const timer = setTimeout(
        () => socket.destroy(new Error(`connect to ${where} timed out`)),
        this.opts.connectTimeoutMs ?? 1_000,
      );
      const fail = (err: Error) => {
        conn.closed = true;
        clearTimeout(timer);
        for (const p of conn.pending.splice(0)) {
          clearTimeout(p.timer);
          p.reject(err);
        }
        if (!ready) reject(new RedisNotSentError(`Redis at ${where}: ${err.message}`, { cause: err }));
      };
      socket.on('data', (chunk) => {
        let replies: RespValue[];
        try {
          replies = parser.feed(chunk);
        } catch (err) {
          socket.destroy(err as Error);
          return;
        }
        for (const r of replies) {
          const p = conn.pending.shift();
          if (!p) continue;
          clearTimeout(p.timer);
          if (r instanceof RespError) p.reject(r);
          else p.resolve(r);
        }
      });
      socket.on('error', (err) => fail(err));
      socket.on('close', () => fail(new Error(`connection to ${where} closed`)));
      socket.on('connect', () => {
        clearTimeout(timer);
        const authed = password
          ? this.send(conn, ['AUTH', password], this.opts.commandTimeoutMs ?? 2_000)
          : Promise.resolve('OK');
        authed.then(
          () => {
            ready = true;
            resolve(conn);
          },
          (err: Error) => {
            socket.destroy();
            reject(new RedisNotSentError(`Redis at ${where} refused AUTH: ${err.message}`, { cause: err }));
          },
        );
      });
    });
  }

  private send(conn: Connection, args: (string | number | Buffer)[], timeoutMs: number): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      if (conn.closed) {
        reject(new RedisNotSentError(`connection to ${this.endpoint.host}:${this.endpoint.port} closed`));
        return;
      }
      const timer = setTimeout(() => {
        const err = new RedisTimeoutError(`${String(args[0])}: no reply within ${timeoutMs} ms`);
        // Later replies would be matched to the wrong commands: this connection is done.
        conn.socket.destroy(err);
      }, timeoutMs);
      conn.pending.push({ resolve, reject, timer });
      conn.socket.write(encodeCommand(args));
    });
  }
}

/**
 * True when a failed write was definitely not executed: it never reached the server, or the server
 * answered it with an error (LOADING, MISCONF, NOAUTH… — Redis refuses a SET whole). A timeout or a
 * connection that broke after sending leaves the outcome unknown.
 */
export function isDefiniteWriteFailure(error: unknown): boolean {
  return error instanceof RedisNotSentError || error instanceof RespError;
}

/** `host:port` → endpoint; refuses anything else with what was expected. */
export function parseAddress(address: string | undefined, password?: string): RedisEndpoint {
  const m = /^([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(address ?? '');
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65_535)
    throw new UserError(
      `the Redis endpoint ${JSON.stringify(address ?? null)} is not host:port`,
      'the platform must give the redis component an "address" endpoint such as 127.0.0.1:6379',
    );
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), ...(password ? { password } : {}) };
}

/** The endpoint of the platform's Redis, with its password when the platform keeps one. */
export function redisEndpoint(platform: Platform): RedisEndpoint {
  const info = (() => {
    try {
      return platform.info(COMPONENT);
    } catch {
      return {};
    }
  })();
  const password = typeof info.password === 'string' ? info.password : undefined;
  return parseAddress(platform.endpoints(COMPONENT).address, password);
}

export const redisFor = (platform: Platform, commandTimeoutMs = 2_000) =>
  new RedisClient(redisEndpoint(platform), { commandTimeoutMs });
