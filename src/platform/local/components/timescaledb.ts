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
//
// This file is the driver proper (prepare, start, health); the rest is in ./timescaledb/: config
// rendering, /proc sweeps, the Patroni-backed waits, pgBackRest, the restore and the actions
// table. What is TimescaleDB's own (the Patroni client, pgBackRest's output, SQL, WAL names, etcd
// keys) is in src/systems/timescaledb/, shared with the drills.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { etcdHealthy } from '../../../systems/timescaledb/etcd.ts';
import {
  APP_DATABASE,
  APP_USER,
  REPLICATION_USER,
  SUPERUSER,
  STANZA,
  type Credentials,
} from '../../../systems/timescaledb/names.ts';
import { isPrimaryRole, streamingFrom, type PatroniStatus } from '../../../systems/timescaledb/patroni.ts';
import { component } from '../../../topology/model.ts';
import { launchMember, ownedDir, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import type { ProcessSpec } from '../process.ts';
import { requireInstalled } from '../toolchain.ts';
import type { ComponentDriver, ComponentState, MemberHealth, MemberState } from '../types.ts';
import { untypedTimescaledbActions } from './timescaledb/actions.ts';
import {
  createAppDatabase,
  findPrimary,
  patroniStatus,
  restUrl,
  waitRejoined,
  waitSyncStandby,
} from './timescaledb/cluster.ts';
import {
  dcsFromModel,
  deepMerge,
  etcdMember,
  overridesFromEnv,
  patroniYml,
  pgbackrestConf,
  retentionFromModel,
  type TimescaledbOptions,
} from './timescaledb/config.ts';
import { pgbackrest, type PgbackrestInfo } from './timescaledb/pgbackrest.ts';
import {
  clearOrphanedPatroni,
  clearStalePostmaster,
  namespaceArgs,
  writeOwned,
} from './timescaledb/processes.ts';

const password = () => randomBytes(24).toString('base64url');

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
      const retentionFullDays = retentionFromModel(model.configFiles);

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
      const etcd = etcdMember(tc, etcdDir, etcdPorts, ctx.runAs);

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

        const yml = join(dir, 'patroni.yml');
        writeOwned(
          ctx,
          yml,
          patroniYml({
            scope,
            name,
            ports,
            etcdClientPort: etcdPorts.client,
            dcs,
            dir,
            dataDir,
            socketDir,
            pgBin: tc.pgBin,
            pgbackrest: tc.pgbackrest,
            pgbackrestConfig: brConf,
            creds,
          }),
        );

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
        () => etcdHealthy(state.endpoints.etcd!, 1_000),
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
      const streaming = new Set(streamingFrom(leader));
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

    actions: untypedTimescaledbActions,
  };
}

export const timescaledb: ComponentDriver = timescaledbDriver();
