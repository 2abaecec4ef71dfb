// A tiny TCP <-> Unix-socket forwarder, so that a server locked in a private network namespace can
// be reached from the host's loopback and nowhere else: a filesystem socket crosses network
// namespaces, a TCP port does not. Two modes, each taking one or more pairs:
//
//   unix-to-tcp [--parent <pid>] <socketPath> <host:port> [<socketPath> <host:port> …]
//     listens on the Unix socket, connects every client to host:port (run inside the namespace);
//   tcp-to-unix [--parent <pid>] <127.0.0.1:port> <socketPath> [<127.0.0.1:port> <socketPath> …]
//     listens on the loopback port, connects every client to the Unix socket (run on the host).
//
// Bytes are piped both ways with half-close kept (a FIN on one side becomes a FIN on the other);
// an error or reset on either side destroys both. With --parent it exits once that process is gone,
// so it never outlives the server it fronts. Run: node --import tsx forward.ts <mode> …
import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { connect, createServer, isIP, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';

export type Mode = 'unix-to-tcp' | 'tcp-to-unix';

interface TcpAddress {
  host: string;
  port: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);

export function parseTcp(text: string): TcpAddress {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || isIP(m[1]!) === 0 || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`not an ip:port address: "${text}"`);
  }
  return { host: m[1]!, port };
}

/** Joins two sockets: data and end-of-stream both ways; an error on either tears down both. */
function splice(a: Socket, b: Socket): void {
  const destroyBoth = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', destroyBoth);
  b.on('error', destroyBoth);
  // pipe() ends the writer when the reader ends: that is the half-close, kept in each direction.
  a.pipe(b);
  b.pipe(a);
  // A side that closed with an error, or without the other having closed its end yet, is gone: so
  // is the pair. A side that closed cleanly already passed its FIN on through pipe().
  a.on('close', (hadError) => {
    if (hadError) b.destroy();
  });
  b.on('close', (hadError) => {
    if (hadError) a.destroy();
  });
}

/** A stale socket file (its server was SIGKILLed) would make listen() fail with EADDRINUSE. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) rmSync(path, { force: true });
    else throw new Error(`${path} exists and is not a socket`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function listen(server: Server, where: { path: string } | TcpAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if ('path' in where) server.listen({ path: where.path }, done);
    else server.listen({ host: where.host, port: where.port, exclusive: true }, done);
  });
}

export interface Forwarder {
  close(): Promise<void>;
}

/** Starts every pair of the mode; resolves once all of them listen. */
export async function startForwarder(mode: Mode, pairs: [string, string][]): Promise<Forwarder> {
  const servers: Server[] = [];
  const sockets: string[] = [];
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };
  const close = async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    for (const s of open) s.destroy();
    for (const p of sockets) rmSync(p, { force: true });
  };
  try {
    for (const [from, to] of pairs) {
      let where: { path: string } | TcpAddress;
      let target: () => Socket;
      if (mode === 'unix-to-tcp') {
        const dest = parseTcp(to);
        removeStaleSocket(from);
        where = { path: from };
        target = () => connect({ host: dest.host, port: dest.port, allowHalfOpen: true });
      } else {
        where = parseTcp(from);
        // The point of this forwarder is a listener on loopback only: refuse anything else.
        if (!LOOPBACK.has(where.host))
          throw new Error(`tcp-to-unix listens on loopback only, not ${where.host}`);
        target = () => connect({ path: to, allowHalfOpen: true });
      }
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
        track(client);
        const upstream = target();
        track(upstream);
        splice(client, upstream);
        client.resume();
      });
      await listen(server, where);
      servers.push(server);
      if ('path' in where) {
        sockets.push(where.path);
        chmodSync(where.path, 0o600); // only the sandbox's user may connect
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { close };
}

function usage(): never {
  console.error(
    'usage: forward.ts unix-to-tcp [--parent <pid>] <socketPath> <host:port> […]\n' +
      '       forward.ts tcp-to-unix [--parent <pid>] <127.0.0.1:port> <socketPath> […]',
  );
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const [mode, ...rest] = argv;
  if (mode !== 'unix-to-tcp' && mode !== 'tcp-to-unix') usage();
  let parent: number | undefined;
  if (rest[0] === '--parent') {
    parent = Number(rest[1]);
    if (!Number.isInteger(parent) || parent <= 0) usage();
    rest.splice(0, 2);
  }
  if (rest.length === 0 || rest.length % 2 !== 0) usage();
  const pairs: [string, string][] = [];
  for (let i = 0; i < rest.length; i += 2) pairs.push([rest[i]!, rest[i + 1]!]);

  const tag = `forward ${mode} [pid ${process.pid}]`;
  let forwarder: Forwarder;
  try {
    forwarder = await startForwarder(mode, pairs);
  } catch (err) {
    console.error(`${new Date().toISOString()} ${tag}: cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  console.log(
    `${new Date().toISOString()} ${tag}: ${pairs.map(([a, b]) => `${a} -> ${b}`).join(', ')}` +
      (parent ? ` (exits with pid ${parent})` : ''),
  );

  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    void forwarder.close().finally(() => process.exit(code));
    setTimeout(() => process.exit(code), 2_000).unref();
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  if (parent !== undefined) {
    // Our own parent is gone once we are reparented (even while it is an unreaped zombie);
    // any other process once signal 0 fails.
    const watched = parent;
    const isParent = process.ppid === watched;
    const gone = () => {
      if (isParent) return process.ppid !== watched;
      try {
        process.kill(watched, 0);
        return false;
      } catch {
        return true;
      }
    };
    setInterval(() => {
      if (gone()) stop(0);
    }, 1_000).unref();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
