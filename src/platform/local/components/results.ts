// firedrill's own results database: a plain PostgreSQL 15, apart from the SLO-Scout TimescaleDB
// cluster that the drills break. Runs as the unprivileged user (PostgreSQL refuses root).
import { randomBytes } from 'node:crypto';
import { chownSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { launchMember, ownedDir, runSync, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import type { ComponentDriver, ComponentState, MemberHealth } from '../types.ts';

const USER = 'firedrill';
const DATABASE = 'firedrill';

/** The connection URL, password included: for clients only, never for logs or reports. */
export function resultsUrl(state: ComponentState): string {
  const port = state.members[0]!.ports.postgres;
  return `postgres://${USER}:${encodeURIComponent(String(state.info.password))}@${HOST}:${port}/${DATABASE}`;
}

async function ping(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  await client.connect();
  try {
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

export const results: ComponentDriver = {
  name: 'results',

  async prepare(ctx) {
    const dir = ownedDir(ctx, join(ctx.dir, 'results'));
    const data = join(dir, 'data');
    const password = randomBytes(18).toString('base64url');
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (ctx.runAs) chownSync(pwfile, ctx.runAs.uid, ctx.runAs.gid);
    runSync(ctx, join(ctx.toolchain.pgBin, 'initdb'), [
      '-D',
      data,
      '-U',
      USER,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--no-instructions',
    ]);
    rmSync(pwfile);
    const port = await ctx.ports.allocate('results postgres');
    const state: ComponentState = {
      component: 'results',
      members: [
        {
          name: 'results-0',
          index: 0,
          ports: { postgres: port },
          dataDir: data,
          pids: {},
          processes: [
            {
              name: 'results-0',
              command: join(ctx.toolchain.pgBin, 'postgres'),
              args: [
                '-D',
                data,
                '-p',
                String(port),
                '-c',
                `listen_addresses=${HOST}`,
                '-c',
                `unix_socket_directories=${dir}`,
                '-c',
                'max_connections=50',
              ],
              logFile: join(dir, 'postgres.log'),
              cwd: dir,
              runAs: ctx.runAs,
            },
          ],
        },
      ],
      endpoints: { postgres: `postgres://${USER}@${HOST}:${port}/${DATABASE}` },
      info: { password, version: ctx.toolchain.versions.POSTGRES_MAJOR },
    };
    return state;
  },

  async start(ctx, state) {
    await this.startMember(ctx, state, state.members[0]!);
    const admin = new pg.Client({ connectionString: resultsUrl(state).replace(/\/firedrill$/, '/postgres') });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!exists.rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
  },

  async startMember(ctx, state, member) {
    launchMember(ctx, member);
    await waitHealthy(member, 'PostgreSQL to accept connections', () =>
      ping(resultsUrl(state).replace(/\/firedrill$/, '/postgres')),
    );
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    const ok = await ping(resultsUrl(state)).catch((e: Error) => e.message);
    return [
      { member: 'results-0', up: ok === true, detail: ok === true ? 'accepts connections' : String(ok) },
    ];
  },
};
