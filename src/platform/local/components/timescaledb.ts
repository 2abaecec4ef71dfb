// TimescaleDB tier (PostgreSQL under Patroni) from the topology's `timescaledb` StatefulSet: the
// member count comes from the model's replicas, Patroni's bootstrap DCS settings (ttl, loop_wait,
// …, postgresql.parameters) from the `timescaledb-patroni` ConfigMap's patroni.yaml. One etcd
// (v3 API) is the DCS, run as a support process. WAL is archived to a pgBackRest repository in
// the sandbox.
//
// Node loss: Patroni starts postgres in a session of its own (setsid) and lets it be re-parented,
// so killing Patroni's process group would leave postgres serving. Each member therefore runs in
// its own PID namespace (`unshare --pid --kill-child`) with Patroni as its PID 1: when the member
// is SIGKILLed the kernel kills every process in the namespace, postgres included — like a node.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import YAML from 'yaml';
import { component, TopologyError } from '../../../topology/model.ts';
import { UserError } from '../../../util/errors.ts';
import { sleep } from '../../../util/wait.ts';
import { launchMember, memberByName, memberRunning, ownedDir, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import { isAlive, SANDBOX_MARKER, startProcess, tail, type ProcessSpec } from '../process.ts';
import { requireInstalled } from '../toolchain.ts';
import type { ArchivedWal, BackupInventory, RestoreReport } from '../../timescaledb-actions.ts';
import type {
  ComponentAction,
  ComponentDriver,
  ComponentState,
  MemberHealth,
  MemberState,
  SandboxContext,
} from '../types.ts';

const run = promisify(execFile);

export const STANZA = 'timescaledb';
export const APP_DATABASE = 'slo_scout';
export const APP_USER = 'slo_scout';
const SUPERUSER = 'postgres';
const REPLICATION_USER = 'replicator';
/** Environment variable with a JSON object deep-merged over the model's bootstrap.dcs (tests, drills). */
export const DCS_OVERRIDES_ENV = 'FIREDRILL_TIMESCALEDB_DCS';

/** Patroni's bootstrap.dcs section as the model declares it. */
export interface PatroniDcs {
  ttl: number;
  loop_wait: number;
  retry_timeout: number;
  maximum_lag_on_failover: number;
  synchronous_mode: boolean;
  postgresql: { use_pg_rewind?: boolean; parameters: Record<string, string | number | boolean> };
  [key: string]: unknown;
}

export interface TimescaledbOptions {
  /** Deep-merged over the model's bootstrap.dcs; recorded in state.info.patroni. */
  dcs?: Record<string, unknown>;
}

export interface Credentials {
  superuser: { username: string; password: string };
  replication: { username: string; password: string };
  app: { username: string; password: string; database: string };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge<T extends Record<string, unknown>>(
  base: T,
  over: Record<string, unknown> | undefined,
): T {
  if (!over) return structuredClone(base);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over))
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out as T;
}

/** The model's bootstrap.dcs from patroni.yaml, checked for the settings the drills report. */
export function dcsFromModel(configFiles: Record<string, string>): PatroniDcs {
  const text = configFiles['patroni.yaml'];
  if (!text)
    throw new TopologyError('timescaledb: the model has no patroni.yaml (ConfigMap timescaledb-patroni)');
  const dcs = (YAML.parse(text) as { bootstrap?: { dcs?: PatroniDcs } })?.bootstrap?.dcs;
  if (!isObject(dcs)) throw new TopologyError('timescaledb: patroni.yaml has no bootstrap.dcs section');
  for (const key of ['ttl', 'loop_wait', 'retry_timeout', 'maximum_lag_on_failover'] as const) {
    if (typeof dcs[key] !== 'number')
      throw new TopologyError(`timescaledb: patroni.yaml bootstrap.dcs.${key} must be a number`);
  }
  if (typeof dcs.synchronous_mode !== 'boolean')
    throw new TopologyError('timescaledb: patroni.yaml bootstrap.dcs.synchronous_mode must be a boolean');
  if (!isObject(dcs.postgresql?.parameters))
    throw new TopologyError('timescaledb: patroni.yaml bootstrap.dcs.postgresql.parameters is missing');
  return dcs;
}

function overridesFromEnv(): Record<string, unknown> | undefined {
  const raw = process.env[DCS_OVERRIDES_ENV];
  if (!raw) return undefined;
  const parsed: unknown = JSON.parse(raw);
  if (!isObject(parsed)) throw new Error(`${DCS_OVERRIDES_ENV} must be a JSON object`);
  return parsed;
}

// --- Patroni REST -------------------------------------------------------------------------------

export interface PatroniStatus {
  state?: string;
  role?: string;
  timeline?: number;
  replication?: { application_name: string; state: string; sync_state?: string }[];
  xlog?: Record<string, unknown>;
  [key: string]: unknown;
}

export function restUrl(member: MemberState): string {
  return `http://${HOST}:${member.ports.patroni}`;
}

async function rest(
  member: MemberState,
  path: string,
  timeoutMs = 1_500,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${restUrl(member)}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

export async function patroniStatus(member: MemberState): Promise<PatroniStatus> {
  return (await rest(member, '/patroni')).body as PatroniStatus;
}

const isPrimaryRole = (role: string | undefined) => role === 'master' || role === 'primary';

/** The current primary, as Patroni sees it: the one member whose `GET /primary` answers 200. */
export async function findPrimary(
  state: ComponentState,
): Promise<{ member: string; host: string; port: number }> {
  const answers = await Promise.all(
    state.members.map(async (m) => ({
      m,
      status: await rest(m, '/primary').then(
        (r) => r.status,
        () => 0,
      ),
    })),
  );
  const primaries = answers.filter((a) => a.status === 200).map((a) => a.m);
  if (primaries.length !== 1) {
    const seen = answers.map((a) => `${a.m.name}: ${a.status || 'unreachable'}`).join(', ');
    throw new Error(`expected exactly one primary, found ${primaries.length} (GET /primary → ${seen})`);
  }
  const p = primaries[0]!;
  return { member: p.name, host: HOST, port: p.ports.postgres! };
}

/** Replica members currently streaming from the primary (from the primary's pg_stat_replication). */
async function streamingReplicas(state: ComponentState): Promise<{ primary: string; streaming: string[] }> {
  const primary = await findPrimary(state);
  const leader = state.members.find((m) => m.name === primary.member)!;
  const status = await patroniStatus(leader);
  const streaming = (status.replication ?? [])
    .filter((r) => r.state === 'streaming')
    .map((r) => r.application_name);
  return { primary: primary.member, streaming };
}

export function credentials(state: ComponentState): Credentials {
  return state.info.credentials as Credentials;
}

// --- processes ----------------------------------------------------------------------------------

/** Runs a short command as the unprivileged user, with the sandbox marker (pgbackrest, psql…). */
async function runAsUser(
  ctx: SandboxContext,
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
) {
  const [cmd, argv] = ctx.runAs
    ? [
        'setpriv',
        [`--reuid=${ctx.runAs.uid}`, `--regid=${ctx.runAs.gid}`, '--init-groups', '--', command, ...args],
      ]
    : [command, args];
  return run(cmd, argv, {
    env: { ...(process.env as Record<string, string>), ...env, [SANDBOX_MARKER]: ctx.id },
    timeout: timeoutMs,
    encoding: 'utf8',
  });
}

export interface PgbackrestInfo {
  stanza: string;
  repoPath: string;
  /** Member → its pgBackRest config (same repository, pg1-path = that member's data directory). */
  configs: Record<string, string>;
  /** libpq password file for the superuser, for the commands that connect (backup, check…). */
  pgpass: string;
  retentionFullDays: number | null;
}

/**
 * Runs `pgbackrest --config=<member's config> --stanza=timescaledb <args…>` as the unprivileged
 * user, against the given member or else the current primary. For drills: backup, info, restore.
 */
export async function pgbackrest(
  ctx: SandboxContext,
  state: ComponentState,
  args: string[],
  member?: string,
): Promise<{ stdout: string; stderr: string }> {
  const info = state.info.pgbackrest as PgbackrestInfo;
  const target = member ?? (await findPrimary(state)).member;
  const conf = info.configs[target];
  if (!conf) throw new Error(`no pgBackRest config for member "${target}"`);
  return runAsUser(ctx, ctx.toolchain.pgbackrest, [`--config=${conf}`, `--stanza=${info.stanza}`, ...args], {
    PGPASSFILE: info.pgpass,
  });
}

let namespaceSupport: boolean | undefined;
/** Can we give each member a PID namespace of its own? (root: yes; otherwise needs user namespaces.) */
function namespaceArgs(): string[] | undefined {
  const args = process.getuid?.() === 0 ? [] : ['--user', '--map-current-user'];
  const full = ['unshare', ...args, '--pid', '--fork', '--kill-child', '--mount-proc'];
  if (namespaceSupport === undefined) {
    namespaceSupport = spawnSync(full[0]!, [...full.slice(1), 'true'], { stdio: 'ignore' }).status === 0;
  }
  return namespaceSupport ? full : undefined;
}

/** Pids of live processes started with `-D <dataDir>` (a postmaster serving that directory). */
function postmastersOf(dataDir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('-D');
      if (i >= 0 && argv[i + 1] === dataDir && isAlive(Number(entry))) found.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return found;
}

/**
 * Before a member starts again: no postgres of its previous incarnation may still hold the data
 * directory (without PID namespaces one survives Patroni's death), and its postmaster.pid is stale.
 */
async function clearStalePostmaster(ctx: SandboxContext, member: MemberState): Promise<void> {
  const dataDir = join(member.dataDir, 'data');
  const stale = postmastersOf(dataDir);
  for (const pid of stale) {
    ctx.log(`${member.name}: killing postgres left over from its previous incarnation (pid ${pid})`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 10_000;
  while (postmastersOf(dataDir).length && Date.now() < deadline) await sleep(50);
  // Its backends exit once the postmaster is gone; wait for them so the port and shared memory are free.
  await sleep(stale.length ? 300 : 0);
  rmSync(join(dataDir, 'postmaster.pid'), { force: true });
}

/**
 * Before a member starts again: a Patroni of its own launched by a process that died before it
 * could record the pid (a worker SIGKILLed mid-restart) would otherwise run beside the new one.
 */
async function clearOrphanedPatroni(ctx: SandboxContext, member: MemberState): Promise<void> {
  const config = join(member.dataDir, 'patroni.yml');
  const orphans: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes(config) && isAlive(Number(entry))) orphans.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  for (const pid of orphans) {
    ctx.log(`${member.name}: killing a Patroni left over from an unrecorded start (pid ${pid})`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 10_000;
  while (orphans.some(isAlive) && Date.now() < deadline) await sleep(50);
}

// --- the driver ---------------------------------------------------------------------------------

const password = () => randomBytes(24).toString('base64url');

function writeOwned(ctx: SandboxContext, file: string, text: string, mode = 0o600): void {
  writeFileSync(file, text, { mode });
  if (ctx.runAs) chownSync(file, ctx.runAs.uid, ctx.runAs.gid);
}

function pgbackrestConf(o: {
  repo: string;
  log: string;
  lock: string;
  spool: string;
  retentionFullDays?: number;
  dataDir: string;
  socketDir: string;
  port: number;
}): string {
  return [
    '[global]',
    `repo1-path=${o.repo}`,
    ...(o.retentionFullDays
      ? ['repo1-retention-full-type=time', `repo1-retention-full=${o.retentionFullDays}`]
      : []),
    `log-path=${o.log}`,
    `lock-path=${o.lock}`,
    `spool-path=${o.spool}`,
    'log-level-console=warn',
    'log-level-file=info',
    'start-fast=y',
    'archive-timeout=60',
    '',
    `[${STANZA}]`,
    `pg1-path=${o.dataDir}`,
    `pg1-port=${o.port}`,
    `pg1-socket-path=${o.socketDir}`,
    `pg1-user=${SUPERUSER}`,
    '',
  ].join('\n');
}

export function timescaledbDriver(options: TimescaledbOptions = {}): ComponentDriver {
  return {
    name: 'timescaledb',

    async prepare(ctx) {
      const tc = ctx.toolchain;
      requireInstalled(`PostgreSQL ${tc.versions.POSTGRES_MAJOR}`, join(tc.pgBin, 'postgres'));
      requireInstalled('Patroni', tc.patroni);
      requireInstalled('etcd', tc.etcd);
      requireInstalled('pgBackRest', tc.pgbackrest);

      const model = component(ctx.topology, 'timescaledb');
      const replicas = model.replicas ?? 1;
      const scope = model.env.PATRONI_SCOPE ?? 'timescaledb';
      const overrides = options.dcs ?? overridesFromEnv();
      const dcs = deepMerge(dcsFromModel(model.configFiles), overrides);
      const backup = model.configFiles['pgbackrest.yaml']
        ? (YAML.parse(model.configFiles['pgbackrest.yaml']) as { retention?: { full?: number } })
        : {};
      const retentionFullDays = backup.retention?.full;

      const root = ownedDir(ctx, join(ctx.dir, 'timescaledb'), 0o755);
      const creds: Credentials = {
        superuser: { username: SUPERUSER, password: password() },
        replication: { username: REPLICATION_USER, password: password() },
        app: { username: APP_USER, password: password(), database: APP_DATABASE },
      };

      // etcd: the DCS, a support process started first and stopped last.
      const etcdDir = ownedDir(ctx, join(root, 'etcd'));
      const etcdPorts = {
        client: await ctx.ports.allocate('timescaledb etcd client'),
        peer: await ctx.ports.allocate('timescaledb etcd peer'),
      };
      const clientUrl = `http://${HOST}:${etcdPorts.client}`;
      const peerUrl = `http://${HOST}:${etcdPorts.peer}`;
      const etcd: MemberState = {
        name: 'timescaledb-etcd',
        index: 0,
        ports: etcdPorts,
        dataDir: etcdDir,
        pids: {},
        processes: [
          {
            name: 'timescaledb-etcd',
            command: tc.etcd,
            args: [
              '--name',
              'etcd0',
              '--data-dir',
              join(etcdDir, 'data'),
              '--listen-client-urls',
              clientUrl,
              '--advertise-client-urls',
              clientUrl,
              '--listen-peer-urls',
              peerUrl,
              '--initial-advertise-peer-urls',
              peerUrl,
              '--initial-cluster',
              `etcd0=${peerUrl}`,
              '--initial-cluster-state',
              'new',
              '--initial-cluster-token',
              `firedrill-${randomBytes(6).toString('hex')}`,
              '--logger',
              'zap',
              '--log-level',
              'warn',
            ],
            logFile: join(etcdDir, 'etcd.log'),
            cwd: etcdDir,
            runAs: ctx.runAs,
          },
        ],
      };

      // pgBackRest: one repository; each member has a config naming its own data directory.
      const br = ownedDir(ctx, join(root, 'pgbackrest'), 0o750);
      const repo = ownedDir(ctx, join(br, 'repo'));
      const brLog = ownedDir(ctx, join(br, 'log'));
      const brLock = ownedDir(ctx, join(br, 'lock'));
      const brSpool = ownedDir(ctx, join(br, 'spool'));
      const pgpass = join(root, 'pgpass');
      writeOwned(ctx, pgpass, `*:*:*:${SUPERUSER}:${creds.superuser.password}\n`);

      const isolation = namespaceArgs();
      if (!isolation)
        ctx.log('timescaledb: no PID namespaces here; a killed member may leave its postgres running');

      const members: MemberState[] = [];
      const pgbackrestConfigs: Record<string, string> = {};
      for (let i = 0; i < replicas; i++) {
        const name = `timescaledb-${i}`;
        const dir = ownedDir(ctx, join(root, name));
        const ports = {
          postgres: await ctx.ports.allocate(`${name} postgres`),
          patroni: await ctx.ports.allocate(`${name} patroni`),
        };
        const dataDir = ownedDir(ctx, join(dir, 'data'));
        const socketDir = ownedDir(ctx, join(dir, 'run'), 0o750);
        if (join(socketDir, `.s.PGSQL.${ports.postgres}`).length > 100) {
          throw new Error(
            `${name}: the socket path under ${socketDir} is too long for a Unix socket; use a shorter sandbox name or FIREDRILL_HOME`,
          );
        }
        const brConf = join(dir, 'pgbackrest.conf');
        writeOwned(
          ctx,
          brConf,
          pgbackrestConf({
            repo,
            log: brLog,
            lock: brLock,
            spool: brSpool,
            retentionFullDays,
            dataDir,
            socketDir,
            port: ports.postgres,
          }),
          0o640,
        );
        pgbackrestConfigs[name] = brConf;

        const patroniConfig = {
          scope,
          name,
          log: { level: 'INFO', format: '%(asctime)s %(levelname)s: %(message)s' },
          restapi: { listen: `${HOST}:${ports.patroni}`, connect_address: `${HOST}:${ports.patroni}` },
          etcd3: { hosts: [`${HOST}:${etcdPorts.client}`], protocol: 'http' },
          bootstrap: {
            dcs,
            initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums'],
          },
          postgresql: {
            listen: `${HOST}:${ports.postgres}`,
            connect_address: `${HOST}:${ports.postgres}`,
            data_dir: dataDir,
            bin_dir: tc.pgBin,
            pgpass: join(dir, 'patroni.pgpass'),
            use_unix_socket: false,
            authentication: {
              superuser: creds.superuser,
              replication: creds.replication,
            },
            parameters: {
              unix_socket_directories: socketDir,
              archive_command: `${tc.pgbackrest} --config=${brConf} --stanza=${STANZA} archive-push %p`,
            },
            pg_hba: [
              'local all all scram-sha-256',
              `host replication ${REPLICATION_USER} ${HOST}/32 scram-sha-256`,
              `host all all ${HOST}/32 scram-sha-256`,
            ],
            create_replica_methods: ['basebackup'],
            basebackup: [{ checkpoint: 'fast' }],
            remove_data_directory_on_rewind_failure: true,
            remove_data_directory_on_diverged_timelines: true,
          },
          watchdog: { mode: 'off' },
        };
        const yml = join(dir, 'patroni.yml');
        // Patroni reads YAML 1.1 (PyYAML): emit it as such, so a string like "on" stays a string.
        writeOwned(ctx, yml, YAML.stringify(patroniConfig, { version: '1.1' }));

        const env = {
          PATH: `${tc.pgBin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
          HOME: dir,
          ...(ctx.runAs ? { USER: ctx.runAs.user, LOGNAME: ctx.runAs.user } : {}),
        };
        const drop = ctx.runAs
          ? ['setpriv', `--reuid=${ctx.runAs.uid}`, `--regid=${ctx.runAs.gid}`, '--init-groups', '--']
          : [];
        // With a namespace the privilege drop happens inside it (unshare --pid needs root).
        const argv = isolation ? [...isolation, ...drop, tc.patroni, yml] : [tc.patroni, yml];
        const spec: ProcessSpec = {
          name: `${name}/patroni`,
          command: argv[0]!,
          args: argv.slice(1),
          env,
          cwd: dir,
          logFile: join(dir, 'patroni.log'),
          runAs: isolation ? undefined : ctx.runAs,
        };
        members.push({ name, index: i, ports, dataDir: dir, processes: [spec], pids: {} });
      }

      const state: ComponentState = {
        component: 'timescaledb',
        members,
        support: [etcd],
        endpoints: {
          patroni: members.map(restUrl).join(','),
          postgres: members.map((m) => `${HOST}:${m.ports.postgres}`).join(','),
          database: APP_DATABASE,
          user: APP_USER,
          etcd: clientUrl,
        },
        info: {
          version: `PostgreSQL ${tc.versions.POSTGRES_MAJOR}, Patroni, etcd (v3 API)`,
          scope,
          ttl: dcs.ttl,
          loop_wait: dcs.loop_wait,
          retry_timeout: dcs.retry_timeout,
          synchronous_mode: dcs.synchronous_mode,
          maximum_lag_on_failover: dcs.maximum_lag_on_failover,
          archive_mode: dcs.postgresql.parameters.archive_mode,
          archive_timeout: dcs.postgresql.parameters.archive_timeout,
          patroni: {
            source: 'ConfigMap timescaledb-patroni, patroni.yaml bootstrap.dcs',
            overrides: overrides ?? null,
            dcs,
          },
          pgbackrest: {
            stanza: STANZA,
            repoPath: repo,
            configs: pgbackrestConfigs,
            pgpass,
            retentionFullDays: retentionFullDays ?? null,
          } satisfies PgbackrestInfo,
          isolation: isolation ? 'pid-namespace' : 'none',
          credentials: creds,
        },
      };
      return state;
    },

    async start(ctx, state) {
      const t0 = Date.now();
      const etcd = state.support![0]!;
      launchMember(ctx, etcd);
      await waitHealthy(
        etcd,
        'etcd to report healthy',
        async () => {
          const res = await fetch(`${state.endpoints.etcd}/health`, { signal: AbortSignal.timeout(1_000) });
          return res.ok && ((await res.json()) as { health?: string }).health === 'true';
        },
        60_000,
      );
      ctx.log(`timescaledb: etcd healthy after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      // One member bootstraps (initdb) first; the others then find a leader at once and clone
      // it with pg_basebackup, instead of sleeping a loop_wait while the bootstrap runs.
      const [first, ...rest] = state.members;
      launchMember(ctx, first!);
      await waitHealthy(
        first!,
        'a primary to be elected',
        async () => (await findPrimary(state), true),
        120_000,
      );
      ctx.log(`timescaledb: primary up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      for (const m of rest) launchMember(ctx, m);
      const replicasStreaming = Promise.all(rest.map((m) => waitRejoined(state, m)));
      replicasStreaming.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile

      // While the replicas clone: the application role and database, and the pgBackRest stanza.
      await createAppDatabase(state);
      await pgbackrest(ctx, state, ['stanza-create']);
      await pgbackrest(ctx, state, ['check']); // forces a WAL switch and waits for it in the repository
      ctx.log(
        `timescaledb: pgBackRest stanza created, WAL archiving checked after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );

      await replicasStreaming;
      ctx.log(
        `timescaledb: ${rest.length} replica(s) streaming after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      if (state.info.synchronous_mode === true && rest.length) {
        // Patroni names a synchronous standby one HA loop after a replica streams, and writes it
        // to the DCS ~2 s later: until then no replica may be promoted. "Up" means ready for a
        // drill, so wait for it here rather than have the first drill refused in preflight.
        const standby = await waitSyncStandby(state);
        ctx.log(
          `timescaledb: ${standby} is the synchronous standby after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
      }
    },

    async startMember(ctx, state, member) {
      await clearOrphanedPatroni(ctx, member);
      await clearStalePostmaster(ctx, member);
      launchMember(ctx, member);
      await waitRejoined(state, member);
    },

    async health(_ctx, state): Promise<MemberHealth[]> {
      const statuses = await Promise.all(state.members.map((m) => patroniStatus(m).catch((e: Error) => e)));
      const leader = statuses.find((s): s is PatroniStatus => !(s instanceof Error) && isPrimaryRole(s.role));
      const streaming = new Set(
        (leader?.replication ?? []).filter((r) => r.state === 'streaming').map((r) => r.application_name),
      );
      return state.members.map((m, i) => {
        const s = statuses[i]!;
        if (s instanceof Error)
          return { member: m.name, up: false, detail: `Patroni REST unreachable: ${s.message}` };
        const up = s.state === 'running' || s.state === 'streaming';
        const role = isPrimaryRole(s.role) ? 'primary' : (s.role ?? 'unknown');
        const replication =
          role === 'replica' ? (streaming.has(m.name) ? ', streaming' : ', not streaming') : '';
        return {
          member: m.name,
          up,
          detail: `${role} ${s.state ?? 'unknown'}${replication}, timeline ${s.timeline ?? '?'}`,
        };
      });
    },

    actions,
  };
}

/**
 * Wakes a member's HA loop now instead of after up to loop_wait: Patroni runs a cycle after any
 * PATCH /config, and this one sets a value to what it already is, so the DCS is not changed.
 * On the leader that cycle creates the slot of a member that has just registered; on a rejoining
 * member it moves on (e.g. to pg_rewind) without sleeping. Only used while the sandbox starts a
 * member, never during a fault: failover timings stay Patroni's own.
 */
async function nudge(state: ComponentState, member: MemberState): Promise<void> {
  const res = await fetch(`${restUrl(member)}/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ loop_wait: state.info.loop_wait }),
    signal: AbortSignal.timeout(2_000),
  });
  await res.text();
}

/** `fn` throttled for a polling loop: it runs on the first call and then at most every `ms`. */
function atMostEvery(ms: number, fn: () => Promise<unknown>): () => Promise<void> {
  let last = 0;
  return async () => {
    if (Date.now() - last <= ms) return;
    last = Date.now();
    await fn();
  };
}

/** Waits until the member runs again: as the primary, or as a replica the primary streams to. */
async function waitRejoined(state: ComponentState, member: MemberState, timeoutMs = 180_000): Promise<void> {
  // Until it streams: have the leader create the member's slot as soon as it has registered
  // (while it is still cloning), so its walreceiver does not start against a missing slot.
  const nudgeBoth = atMostEvery(500, async () => {
    const primary = await findPrimary(state).catch(() => undefined);
    const leader = state.members.find((m) => m.name === primary?.member);
    await Promise.all([...new Set([leader ?? member, member])].map((m) => nudge(state, m).catch(() => {})));
  });
  await waitHealthy(
    member,
    'the member to run as primary or streaming replica',
    async () => {
      await nudgeBoth();
      const s = await patroniStatus(member);
      if (s.state !== 'running') return false;
      if (isPrimaryRole(s.role)) return (await findPrimary(state)).member === member.name;
      return (await streamingReplicas(state)).streaming.includes(member.name);
    },
    timeoutMs,
  );
}

/**
 * Waits until the leader's commits wait for a standby (pg_stat_replication sync_state 'sync') and
 * the DCS names it (role sync_standby in /cluster), nudging the leader's HA loop meanwhile.
 */
async function waitSyncStandby(state: ComponentState, timeoutMs = 60_000): Promise<string> {
  let standby: string | undefined;
  const primary = await findPrimary(state);
  const leader = state.members.find((m) => m.name === primary.member)!;
  const nudgeLeader = atMostEvery(1_000, () => nudge(state, leader).catch(() => {}));
  await waitHealthy(
    leader,
    'Patroni to register a synchronous standby (synchronous_mode is on)',
    async () => {
      await nudgeLeader();
      const status = await patroniStatus(leader);
      const cluster = (await rest(leader, '/cluster')).body as {
        members?: { name: string; role?: string }[];
      };
      standby = (status.replication ?? []).find(
        (r) =>
          r.state === 'streaming' &&
          r.sync_state === 'sync' &&
          (cluster.members ?? []).some((m) => m.name === r.application_name && m.role === 'sync_standby'),
      )?.application_name;
      return standby !== undefined;
    },
    timeoutMs,
  );
  return standby!;
}

/** Creates the application role and database on the primary (idempotent). */
async function createAppDatabase(state: ComponentState): Promise<void> {
  const creds = credentials(state);
  const primary = await findPrimary(state);
  const client = new pg.Client({
    host: primary.host,
    port: primary.port,
    user: creds.superuser.username,
    password: creds.superuser.password,
    database: 'postgres',
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    // The password is in the statement text: keep it out of the server log even if it fails.
    await client.query("SET log_statement = 'none'; SET log_min_error_statement = 'panic'");
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [creds.app.username]);
    const verb = role.rowCount ? 'ALTER' : 'CREATE';
    await client.query(
      `${verb} ROLE ${client.escapeIdentifier(creds.app.username)} LOGIN PASSWORD ${client.escapeLiteral(creds.app.password)}`,
    );
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [creds.app.database]);
    if (!db.rowCount)
      await client.query(
        `CREATE DATABASE ${client.escapeIdentifier(creds.app.database)} OWNER ${client.escapeIdentifier(creds.app.username)}`,
      );
  } finally {
    await client.end().catch(() => {});
  }
}

// --- actions drills invoke (Platform.action) ------------------------------------------------------

interface InfoJson {
  name: string;
  status: { code: number; message: string };
  archive?: { id: string; min?: string | null; max?: string | null }[];
  backup?: {
    label: string;
    type: string;
    prior?: string | null;
    timestamp: { start: number; stop: number };
    archive: { start: string; stop: string };
    lsn?: { start: string; stop: string };
    info?: { size?: number };
  }[];
}

/** The repository's backups and archive range. Reads the repository only (no primary needed). */
export async function backupInventory(ctx: SandboxContext, state: ComponentState): Promise<BackupInventory> {
  const info = state.info.pgbackrest as PgbackrestInfo;
  const { stdout } = await pgbackrest(ctx, state, ['info', '--output=json'], state.members[0]!.name);
  const stanza = (JSON.parse(stdout) as InfoJson[]).find((s) => s.name === info.stanza);
  if (!stanza) throw new Error(`pgbackrest info does not list stanza ${info.stanza}`);
  return {
    stanza: info.stanza,
    repoPath: info.repoPath,
    status: stanza.status,
    backups: (stanza.backup ?? []).map((b) => ({
      label: b.label,
      type: b.type,
      prior: b.prior ?? null,
      startedAt: b.timestamp.start * 1000,
      stoppedAt: b.timestamp.stop * 1000,
      walStart: b.archive.start,
      walStop: b.archive.stop,
      lsnStart: b.lsn?.start ?? '',
      lsnStop: b.lsn?.stop ?? '',
      sizeBytes: b.info?.size ?? null,
    })),
    archive: (stanza.archive ?? []).map((a) => ({ id: a.id, min: a.min ?? null, max: a.max ?? null })),
  };
}

const memberArg = (state: ComponentState, args: Record<string, unknown>): MemberState => {
  if (args.member === undefined) throw new UserError('this action needs a "member" (name or index)');
  return memberByName(state.members, args.member as string | number);
};

/** Empties a member's data directory (keeping the directory, its owner and mode). */
function emptyDataDir(member: MemberState): number {
  const dataDir = join(member.dataDir, 'data');
  if (!existsSync(dataDir)) return 0;
  const entries = readdirSync(dataDir);
  for (const entry of entries) rmSync(join(dataDir, entry), { recursive: true, force: true });
  return entries.length;
}

async function superuserClient(state: ComponentState, port: number, timeoutMs = 2_000): Promise<pg.Client> {
  const creds = credentials(state);
  const client = new pg.Client({
    host: HOST,
    port,
    user: creds.superuser.username,
    password: creds.superuser.password,
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');

/**
 * WAL segment file name holding the byte just before `lsn` ("0/5012345") on a timeline: an end
 * position such as pg_last_wal_replay_lsn() that falls on a segment boundary belongs to the
 * segment it closes, not to the next one.
 */
export function walSegmentName(timeline: number, lsn: string, segmentSize = 16 * 1024 * 1024): string {
  const [hi, lo] = lsn.split('/').map((h) => parseInt(h, 16)) as [number, number];
  const pos = BigInt(hi) * 0x1_0000_0000n + BigInt(lo);
  const segno = (pos > 0n ? pos - 1n : 0n) / BigInt(segmentSize);
  const perId = 0x1_0000_0000n / BigInt(segmentSize);
  return hex8(timeline) + hex8(Number(segno / perId)) + hex8(Number(segno % perId));
}

/**
 * pgBackRest restore of the latest backup set into one member's (emptied) data directory, then
 * archive recovery to the end of the archived WAL, run by PostgreSQL itself outside Patroni (whose
 * replicas strip recovery settings): replay every archived segment, promote, read where replay
 * stopped, shut down cleanly. Patroni then adopts the data directory as the new cluster's primary.
 */
async function restoreMember(
  ctx: SandboxContext,
  state: ComponentState,
  member: MemberState,
): Promise<RestoreReport> {
  const running = state.members.filter(memberRunning).map((m) => m.name);
  if (running.length) {
    throw new UserError(
      `a restore needs the whole cluster stopped, but ${running.join(', ')} still run`,
      'kill them first',
    );
  }
  const info = state.info.pgbackrest as PgbackrestInfo;
  const dataDir = join(member.dataDir, 'data');
  const started = Date.now();
  await clearStalePostmaster(ctx, member);
  emptyDataDir(member);
  const before = await backupInventory(ctx, state);
  if (!before.backups.length) throw new UserError(`no pgBackRest backup of stanza ${info.stanza} to restore`);
  // Default type: recover along the latest timeline to the end of the archived WAL.
  await pgbackrest(ctx, state, ['restore', '--log-level-console=warn'], member.name);
  const restored = Date.now();

  const port = member.ports.postgres!;
  const logFile = join(member.dataDir, 'restore-recovery.log');
  writeOwned(ctx, logFile, '', 0o644);
  const spec: ProcessSpec = {
    name: `${member.name}/recovery`,
    command: join(ctx.toolchain.pgBin, 'postgres'),
    args: [
      '-D',
      dataDir,
      // The restored configuration may be another member's (whichever was primary at backup time).
      '-c',
      `port=${port}`,
      '-c',
      `listen_addresses=${HOST}`,
      '-c',
      `unix_socket_directories=${join(member.dataDir, 'run')}`,
      '-c',
      `hba_file=${join(dataDir, 'pg_hba.conf')}`,
      '-c',
      `ident_file=${join(dataDir, 'pg_ident.conf')}`,
      '-c',
      `archive_command=${ctx.toolchain.pgbackrest} --config=${info.configs[member.name]} --stanza=${info.stanza} archive-push %p`,
    ],
    logFile,
    cwd: member.dataDir,
    runAs: ctx.runAs,
  };
  const { pid } = startProcess(spec, ctx.id);
  let report: Omit<RestoreReport, 'timings' | 'recoveryLog'> | undefined;
  let recovered = Date.now();
  try {
    for (;;) {
      if (!isAlive(pid))
        throw new Error(`${member.name}: PostgreSQL exited during archive recovery:
${tail(logFile, 30)}`);
      const client = await superuserClient(state, port).catch(() => undefined);
      if (client) {
        try {
          const { rows } = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
          if (!rows[0]!.r) {
            const q = await client.query<{ at: Date | null; lsn: string; wal: string; seg: string }>(
              `SELECT pg_last_xact_replay_timestamp() AS at, pg_last_wal_replay_lsn()::text AS lsn,
                      pg_walfile_name(pg_current_wal_lsn()) AS wal, current_setting('wal_segment_size') AS seg`,
            );
            const row = q.rows[0]!;
            const newTimeline = parseInt(row.wal.slice(0, 8), 16);
            // The new timeline's history file names the timeline recovery replayed (its parent).
            const history = await client.query<{ text: string }>('SELECT pg_read_file($1) AS text', [
              `pg_wal/${hex8(newTimeline)}.history`,
            ]);
            const last = history.rows[0]!.text.trim()
              .split('\n')
              .filter((l) => /^\d+\t/.test(l))
              .at(-1)!;
            const replayTimeline = Number(last.split('\t')[0]);
            const segmentSize = parseSize(row.seg);
            report = {
              member: member.name,
              backup: before.backups.at(-1) ?? null,
              archiveMaxBefore:
                before.archive
                  .map((a) => a.max)
                  .filter((m): m is string => !!m)
                  .sort()
                  .at(-1) ?? null,
              lastReplayedCommitAt: row.at ? row.at.getTime() : null,
              replayLsn: row.lsn,
              replayTimeline,
              replaySegment: walSegmentName(replayTimeline, row.lsn, segmentSize),
              newTimeline,
              walSegmentSizeBytes: segmentSize,
            };
            recovered = Date.now();
            break;
          }
        } finally {
          await client.end().catch(() => {});
        }
      }
      if (Date.now() - restored > 30 * 60_000)
        throw new Error(`${member.name}: archive recovery still running after 30 min`);
      await sleep(200);
    }
  } finally {
    // Fast shutdown (a clean checkpoint), so that Patroni starts from a consistent directory.
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 60_000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  return {
    ...report!,
    timings: {
      restoreMs: restored - started,
      recoveryMs: recovered - restored,
      stopMs: Date.now() - recovered,
    },
    recoveryLog: logFile,
  };
}

function parseSize(setting: string): number {
  const m = /^(\d+)\s*(kB|MB|GB)?$/.exec(setting.trim());
  if (!m) throw new Error(`cannot read wal_segment_size "${setting}"`);
  return Number(m[1]) * ({ kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] ?? ''] ?? 1);
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Patroni's keys in etcd (v3 JSON gateway) under /service/<scope>/. */
async function patroniKeys(state: ComponentState): Promise<string[]> {
  const prefix = `/service/${state.info.scope as string}/`;
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const res = await fetch(`${state.endpoints.etcd}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(prefix), range_end: b64(end), keys_only: true }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`etcd range ${prefix}: HTTP ${res.status}`);
  const body = (await res.json()) as { kvs?: { key: string }[] };
  return (body.kvs ?? []).map((kv) => Buffer.from(kv.key, 'base64').toString());
}

const actions: Record<string, ComponentAction> = {
  /** SIGKILL (or `signal`) only the postmaster of `member`; its Patroni keeps running. */
  async 'kill-postmaster'(_ctx, state, args) {
    const member = memberArg(state, args);
    const pids = postmastersOf(join(member.dataDir, 'data'));
    if (!pids.length) throw new UserError(`${member.name} has no running postmaster to kill`);
    for (const pid of pids) process.kill(pid, (args.signal as NodeJS.Signals | undefined) ?? 'SIGKILL');
    return { member: member.name, pids };
  },

  /** Takes a pgBackRest backup (`type` full, diff or incr) from the primary; returns its record. */
  async backup(ctx, state, args) {
    const type = (args.type as string | undefined) ?? 'incr';
    if (!['full', 'diff', 'incr'].includes(type))
      throw new UserError(`backup type "${type}" is not full, diff or incr`);
    await pgbackrest(ctx, state, ['backup', `--type=${type}`]);
    return (await backupInventory(ctx, state)).backups.at(-1)!;
  },

  /** The repository's backups and archived WAL range (BackupInventory). */
  async backups(ctx, state) {
    return backupInventory(ctx, state);
  },

  /** Every archived WAL segment name per archive id (history and .partial files apart). */
  async 'archived-wal'(ctx, state) {
    const info = state.info.pgbackrest as PgbackrestInfo;
    const { stdout } = await pgbackrest(
      ctx,
      state,
      ['repo-ls', `archive/${info.stanza}`, '--recurse', '--output=json'],
      state.members[0]!.name,
    );
    const out: ArchivedWal = {};
    for (const [path, entry] of Object.entries(JSON.parse(stdout) as Record<string, { type: string }>)) {
      if (entry.type !== 'file') continue;
      const [id, ...rest] = path.split('/');
      if (!/^\d+-\d+$/.test(id!)) continue; // archive.info and its copy
      const file = rest.at(-1) ?? '';
      const bucket = (out[id!] ??= { segments: [], partial: [], history: [] });
      let m: RegExpExecArray | null;
      if ((m = /^([0-9A-F]{24})-[0-9a-f]{40}/.exec(file))) bucket.segments.push(m[1]!);
      else if ((m = /^([0-9A-F]{24})\.partial-/.exec(file))) bucket.partial.push(m[1]!);
      else if ((m = /^([0-9A-F]{8})\.history$/.exec(file))) bucket.history.push(m[1]!);
    }
    for (const b of Object.values(out)) for (const list of Object.values(b)) list.sort();
    return out;
  },

  /** Removes everything in a stopped member's data directory (the "disk lost" fault). */
  async 'wipe-data'(ctx, state, args) {
    const member = memberArg(state, args);
    if (memberRunning(member))
      throw new UserError(`${member.name} is running: stop it before wiping its data`);
    await clearStalePostmaster(ctx, member);
    return { member: member.name, removed: emptyDataDir(member) };
  },

  /** pgBackRest restore + archive recovery to the latest archived WAL into `member` (RestoreReport). */
  async restore(ctx, state, args) {
    return restoreMember(ctx, state, memberArg(state, args));
  },

  /**
   * Forgets the cluster's state in the DCS (leader, members, optime, initialize…), keeping its
   * configuration, as `patronictl remove` does: the next Patroni to start with data adopts it
   * as the new cluster's primary instead of waiting for a leader that is gone.
   */
  async 'forget-cluster'(_ctx, state) {
    const running = state.members.filter(memberRunning).map((m) => m.name);
    if (running.length) throw new UserError(`cannot forget the cluster while ${running.join(', ')} run`);
    const deleted: string[] = [];
    for (const key of await patroniKeys(state)) {
      if (key.endsWith('/config')) continue;
      const res = await fetch(`${state.endpoints.etcd}/v3/kv/deleterange`, {
        method: 'POST',
        body: JSON.stringify({ key: b64(key) }),
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new Error(`etcd delete ${key}: HTTP ${res.status}`);
      deleted.push(key);
    }
    return { deleted };
  },
};

export const timescaledb: ComponentDriver = timescaledbDriver();
