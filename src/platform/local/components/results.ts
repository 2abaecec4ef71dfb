// firedrill's own results database: a plain PostgreSQL 15, apart from the SLO-Scout TimescaleDB
// cluster that the drills break. Runs as the unprivileged user (PostgreSQL refuses root). Its data
// and password live in the sandbox's history folder: every `up` reuses them, nothing re-initialises
// a data directory that exists.
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { UserError } from '../../../util/errors.ts';
import { launchMember, ownedDir, runSync, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import { isAlive } from '../process.ts';
import type { ComponentDriver, ComponentState, MemberHealth, SandboxContext } from '../types.ts';

const USER = 'firedrill';
const DATABASE = 'firedrill';

/** The connection URL, password included: for clients only, never for logs or reports. */
export function resultsUrl(state: ComponentState): string {
  const port = state.members[0]!.ports.postgres;
  return `postgres://${USER}:${encodeURIComponent(String(state.info.password))}@${HOST}:${port}/${DATABASE}`;
}

/** Over the Unix socket, where local trust needs no password (a lost password cannot lock us out). */
const overSocket = (state: ComponentState): pg.ClientConfig => ({
  host: String(state.info.socketDir),
  port: state.members[0]!.ports.postgres,
  user: USER,
  database: 'postgres',
});

async function ping(config: string | pg.ClientConfig): Promise<boolean> {
  const options = typeof config === 'string' ? { connectionString: config } : config;
  const client = new pg.Client({ ...options, connectionTimeoutMillis: 1_000 });
  await client.connect();
  try {
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The password, kept beside the data (owner-only) so the next `up` connects to the same database. */
function credentials(historyDir: string): string {
  const file = join(historyDir, 'credentials.json');
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { password: string }).password;
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, JSON.stringify({ user: USER, password }) + '\n', { mode: 0o600 });
  return password;
}

/** initdb into a scratch folder renamed when done: a `data` folder is always a whole cluster. */
function initialise(ctx: SandboxContext, historyDir: string, data: string, password: string): void {
  const scratch = `${data}.initdb`;
  rmSync(scratch, { recursive: true, force: true }); // an initdb cut short held nothing yet
  const pwfile = join(ctx.dir, 'results', 'pwfile');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (ctx.runAs) chownSync(pwfile, ctx.runAs.uid, ctx.runAs.gid);
  try {
    runSync(ctx, join(ctx.toolchain.pgBin, 'initdb'), [
      '-D',
      scratch,
      '-U',
      USER,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--no-instructions',
    ]);
  } finally {
    rmSync(pwfile, { force: true });
  }
  renameSync(scratch, data);
  ctx.log(`results: new database in ${historyDir}`);
}

/** An existing data folder: the same PostgreSQL major, and no postmaster of it still running. */
function checkExisting(ctx: SandboxContext, data: string): void {
  const major = ctx.toolchain.versions.POSTGRES_MAJOR;
  const versionFile = join(data, 'PG_VERSION');
  if (!existsSync(versionFile)) {
    throw new UserError(
      `${data} holds no PostgreSQL data directory (no PG_VERSION), so firedrill will not use or replace it`,
      'move it away if it holds anything of yours; `firedrill sandbox up --delete-history` deletes it with the rest of the history',
    );
  }
  const found = readFileSync(versionFile, 'utf8').trim();
  if (found !== String(major)) {
    throw new UserError(
      `the results database in ${data} was written by PostgreSQL ${found}; this sandbox runs PostgreSQL ${major}`,
      `upgrade it with pg_upgrade, or \`firedrill results export\` with the firedrill that wrote it; \`firedrill sandbox up --delete-history\` starts afresh and deletes every recorded run`,
    );
  }
  const pidFile = join(data, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  let cmdline = '';
  try {
    cmdline = isAlive(pid) ? readFileSync(`/proc/${pid}/cmdline`, 'latin1') : '';
  } catch {
    /* gone meanwhile */
  }
  if (cmdline.includes('postgres') && cmdline.includes(data)) {
    throw new UserError(
      `the results database in ${data} is already served by PostgreSQL pid ${pid}, outside any sandbox firedrill knows`,
      `stop that process (kill ${pid}) and run the command again`,
    );
  }
  // Left by a crash or a reboot: the sandbox checked none of its processes is alive.
  rmSync(pidFile);
}

export const results: ComponentDriver = {
  name: 'results',

  async prepare(ctx) {
    const dir = ownedDir(ctx, join(ctx.dir, 'results')); // logs and the socket: disposable
    const history = ownedDir(ctx, join(ctx.history, 'results'));
    const data = join(history, 'data');
    const password = credentials(history);
    if (existsSync(data)) checkExisting(ctx, data);
    else initialise(ctx, history, data, password);
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
      info: { password, version: ctx.toolchain.versions.POSTGRES_MAJOR, socketDir: dir, dataDir: data },
    };
    return state;
  },

  async start(ctx, state) {
    await this.startMember(ctx, state, state.members[0]!);
    // Sets the password of credentials.json, so a data folder whose password was lost (kept from
    // an older layout) opens too.
    const admin = new pg.Client(overSocket(state));
    await admin.connect();
    try {
      await admin.query(`ALTER ROLE ${USER} PASSWORD ${admin.escapeLiteral(String(state.info.password))}`);
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!exists.rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
  },

  async startMember(ctx, state, member) {
    launchMember(ctx, member);
    await waitHealthy(member, 'PostgreSQL to accept connections', () => ping(overSocket(state)));
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    const ok = await ping(resultsUrl(state)).catch((e: Error) => e.message);
    return [
      { member: 'results-0', up: ok === true, detail: ok === true ? 'accepts connections' : String(ok) },
    ];
  },
};
