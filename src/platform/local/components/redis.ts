// Redis from the topology's `redis` Deployment: one redis-server (Debian's package) on a loopback
// port, run as the unprivileged user like PostgreSQL. Its persistence is the manifest's container
// arguments (AOF, fsync policy, RDB save points), read through the topology model and written into
// the member's redis.conf; where it listens and keeps its files is the sandbox's. The data
// directory (<member>/data) stands for the pod's volume; RDB backups are kept beside the member,
// in <sandbox>/redis/backups, where losing the volume does not reach them.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { component } from '../../../topology/model.ts';
import { UserError } from '../../../util/errors.ts';
import type { RedisActions } from '../../../systems/redis/actions.ts';
import {
  dataFiles,
  listBackups,
  restoreBackup,
  takeBackup,
  wipeData,
} from '../../../systems/redis/backup.ts';
import { RedisClient } from '../../../systems/redis/client.ts';
import {
  confText,
  directivesFromArgs,
  persistenceOf,
  splitDirectives,
  type Directive,
  type Persistence,
} from '../../../systems/redis/config.ts';
import { serverHealth } from '../../../systems/redis/health.ts';
import { launchMember, memberByName, memberRunning, ownedDir, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import { requireInstalled } from '../toolchain.ts';
import {
  untypedActions,
  type ActionTable,
  type ComponentDriver,
  type ComponentState,
  type MemberHealth,
  type MemberState,
} from '../types.ts';

const volume = (m: MemberState) => join(m.dataDir, 'data');
const backupsOf = (state: ComponentState) => String(state.info.backups);
const persistenceIn = (state: ComponentState) => state.info.persistence as Persistence;

const clientFor = (state: ComponentState, m: MemberState, commandTimeoutMs = 2_000) =>
  new RedisClient(
    { host: HOST, port: m.ports.redis!, password: String(state.info.password) },
    { commandTimeoutMs },
  );

async function withClient<T>(
  state: ComponentState,
  m: MemberState,
  fn: (c: RedisClient) => Promise<T>,
): Promise<T> {
  const c = clientFor(state, m);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

function binaryVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return /v=(\S+)/.exec(out.stdout ?? '')?.[1] ?? 'unknown';
}

const memberOf = (state: ComponentState, arg: string | number | undefined) =>
  arg === undefined ? state.members[0]! : memberByName(state.members, arg);

function stopped(m: MemberState, what: string): MemberState {
  if (memberRunning(m)) throw new UserError(`${m.name} is running: stop it before ${what}`);
  return m;
}

const actions: ActionTable<RedisActions> = {
  async backup(_ctx, state, args) {
    const m = memberOf(state, args.member);
    return withClient(state, m, (c) => takeBackup(c, volume(m), backupsOf(state)));
  },

  async backups(_ctx, state) {
    return listBackups(backupsOf(state));
  },

  async 'data-files'(_ctx, state, args) {
    return dataFiles(volume(memberOf(state, args.member)));
  },

  async 'wipe-data'(_ctx, state, args) {
    const m = stopped(memberOf(state, args.member), 'wiping its data directory');
    return { member: m.name, dir: volume(m), removed: wipeData(volume(m)) };
  },

  async restore(ctx, state, args) {
    const m = stopped(memberOf(state, args.member), 'restoring into its data directory');
    const all = listBackups(backupsOf(state));
    const backup = args.backup === undefined ? all.at(-1) : all.find((b) => b.name === args.backup);
    if (!backup)
      throw new UserError(
        args.backup === undefined
          ? `no Redis backup is kept in ${backupsOf(state)}: there is nothing to restore from`
          : `no Redis backup named "${args.backup}" (kept: ${all.map((b) => b.name).join(', ') || 'none'})`,
        'take one first (the "backup" action: BGSAVE, then the snapshot is copied there)',
      );
    return restoreBackup(backup, volume(m), persistenceIn(state).appendonly, ctx.runAs, m.name);
  },
};

export const redis: ComponentDriver = {
  name: 'redis',
  actions: untypedActions(actions),

  async prepare(ctx) {
    const binary = requireInstalled('redis-server (Debian package redis-server)', ctx.toolchain.redisServer);
    const model = component(ctx.topology, 'redis');
    if ((model.replicas ?? 1) !== 1)
      throw new UserError(
        `the topology's redis Deployment has ${model.replicas} replicas; the sandbox runs one standalone server`,
        'set replicas: 1 in deploy/k8s/20-data.yaml, or model a replicated Redis first',
      );
    const { kept, replaced } = splitDirectives(directivesFromArgs(model.args));
    const persistence = persistenceOf(kept);
    const base = ownedDir(ctx, join(ctx.dir, 'redis'));
    const dataDir = ownedDir(ctx, join(base, 'redis-0'));
    ownedDir(ctx, join(dataDir, 'data'));
    const port = await ctx.ports.allocate('redis-0');
    const password = randomBytes(18).toString('base64url');

    const sandboxOwn: Directive[] = [
      { name: 'bind', value: HOST },
      { name: 'port', value: String(port) },
      { name: 'protected-mode', value: 'yes' },
      { name: 'daemonize', value: 'no' },
      { name: 'dir', value: join(dataDir, 'data') },
      { name: 'dbfilename', value: 'dump.rdb' },
      { name: 'appenddirname', value: 'appendonlydir' },
      { name: 'appendfilename', value: 'appendonly.aof' },
      { name: 'logfile', value: '' }, // stdout: the member's log file
      // Redis's process title overwrites its environment area, and with it the sandbox's marker:
      // `down` could then not sweep a server restarted by another process (seen: leaked servers).
      { name: 'set-proc-title', value: 'no' },
      { name: 'requirepass', value: password },
    ];
    // In a file, not on the command line: the password stays out of `ps`.
    const conf = join(dataDir, 'redis.conf');
    writeFileSync(
      conf,
      `# Written by firedrill from deploy/k8s/20-data.yaml (redis container args), then the sandbox's own.\n${confText([...kept, ...sandboxOwn])}`,
      { mode: 0o600 },
    );
    if (ctx.runAs) chownSync(conf, ctx.runAs.uid, ctx.runAs.gid);

    const member: MemberState = {
      name: 'redis-0',
      index: 0,
      ports: { redis: port },
      dataDir,
      pids: {},
      processes: [
        {
          name: 'redis-0',
          command: binary,
          args: [conf],
          logFile: join(dataDir, 'redis.log'),
          cwd: dataDir,
          ...(ctx.runAs ? { runAs: ctx.runAs } : {}),
        },
      ],
    };
    return {
      component: 'redis',
      members: [member],
      endpoints: { address: `${HOST}:${port}` },
      info: {
        version: binaryVersion(binary),
        password,
        persistence,
        manifestArgs: model.args,
        replacedBySandbox: replaced,
        backups: join(base, 'backups'),
      },
    } satisfies ComponentState;
  },

  async start(ctx, state) {
    for (const m of state.members) await this.startMember(ctx, state, m);
  },

  async startMember(ctx, state, member) {
    launchMember(ctx, member);
    // Up once the dataset is loaded (a large AOF or a restored RDB takes a moment): PING alone
    // answers LOADING errors before that.
    await waitHealthy(member, 'PING and a loaded dataset', () =>
      withClient(state, member, async (c) => (await serverHealth(c)).up),
    );
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    const out: MemberHealth[] = [];
    for (const m of state.members) {
      const h = await withClient(state, m, (c) => serverHealth(c)).catch((err: Error) => ({
        up: false,
        detail: err.message,
      }));
      out.push({ member: m.name, up: h.up, detail: h.detail });
    }
    return out;
  },
};
