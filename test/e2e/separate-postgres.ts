// A PostgreSQL of the test's own — not a sandbox's — standing in for "the team's own database"
// that FIREDRILL_DATABASE_URL points at: initdb and postgres from the PostgreSQL 15 binaries, as
// the unprivileged user when the test runs as root (PostgreSQL refuses root), password auth on TCP.
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runSync, waitHealthy } from '../../src/platform/local/members.ts';
import { HOST, PortAllocator } from '../../src/platform/local/ports.ts';
import { startProcess, stopProcess } from '../../src/platform/local/process.ts';
import { unprivilegedUser } from '../../src/platform/local/sandbox.ts';
import { toolchain } from '../../src/platform/local/toolchain.ts';
import type { MemberState } from '../../src/platform/local/types.ts';

const PG_BIN = toolchain().pgBin;

export interface SeparatePostgres {
  /** A URL to a database of that name (created on first use), with the password. */
  url(database: string): string;
  createDatabase(database: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startSeparatePostgres(name: string): Promise<SeparatePostgres> {
  const user = unprivilegedUser();
  const dir = mkdtempSync(join(tmpdir(), `firedrill-${name}-`));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const password = `team-${Math.random().toString(36).slice(2)}`;
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  const initdbArgs = ['-D', data, '-U', 'team', '--auth=scram-sha-256', `--pwfile=${pwfile}`];
  runSync({ runAs: user }, join(PG_BIN, 'initdb'), initdbArgs); // throws with initdb's output
  rmSync(pwfile);
  const port = await new PortAllocator().allocate(`${name} postgres`);
  const spec = {
    name: `${name}-postgres`,
    command: join(PG_BIN, 'postgres'),
    args: [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      `listen_addresses=${HOST}`,
      '-c',
      `unix_socket_directories=${dir}`,
    ],
    logFile: join(dir, 'postgres.log'),
    cwd: dir,
    runAs: user,
  };
  const member: MemberState = {
    name: spec.name,
    index: 0,
    ports: { port },
    dataDir: data,
    processes: [spec],
    pids: {},
  };
  member.pids[spec.name] = startProcess(spec, `separate-postgres-${name}`).pid;
  const url = (database: string) => `postgres://team:${password}@${HOST}:${port}/${database}`;
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 1_000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await waitHealthy(member, 'the separate PostgreSQL', async () => (await query('SELECT 1'), true));
  return {
    url,
    async createDatabase(database) {
      await query(`CREATE DATABASE "${database}"`);
      return url(database);
    },
    async stop() {
      await stopProcess(member.pids[spec.name]!, 'SIGINT', 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
