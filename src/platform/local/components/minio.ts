// MinIO ×N in distributed mode from the topology's `minio` StatefulSet: replica count and the
// erasure-coding setting (MINIO_STORAGE_CLASS_STANDARD) come from the model; each member is one
// `minio server` process on its own loopback port serving its own drive, and every member is given
// the same endpoint list, so the erasure set spans all of them as it does across the pods.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../../../util/errors.ts';
import { component } from '../../../topology/model.ts';
import type { DrStatus, MinioActions, MirrorStatus } from '../../../systems/minio/actions.ts';
import { driveBlank, objectsOnDrive } from '../../../systems/minio/drive.ts';
import { erasureLayout, type ErasureLayout } from '../../../systems/minio/erasure.ts';
import { clusterWritable, live, nodeHealth } from '../../../systems/minio/health.ts';
import {
  assertStillRunning,
  launchMember,
  memberByName,
  memberRunning,
  ownedDir,
  waitHealthy,
} from '../members.ts';
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

const url = (port: number, path: string) => `http://${HOST}:${port}${path}`;
const nodeUrl = (m: MemberState) => url(m.ports.s3!, '');

function binaryVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return (
    (out.stdout ?? '')
      .split('\n')[0]
      ?.replace(/^minio version /, '')
      .trim() || 'unknown'
  );
}

const MIRROR = fileURLToPath(new URL('../minio-mirror.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const actions: ActionTable<MinioActions> = {
  /** Removes everything on a stopped node's drive (the "drive replaced" fault), .minio.sys included. */
  async 'wipe-drive'(_ctx, state, args) {
    const member = memberByName(state.members, args.member);
    if (memberRunning(member))
      throw new UserError(`${member.name} is running: stop it before wiping its drive`);
    const drive = join(member.dataDir, 'data');
    const removed = readdirSync(drive);
    for (const e of removed) rmSync(join(drive, e), { recursive: true, force: true });
    return { member: member.name, drive, removed };
  },

  /** The object keys of `bucket` present on one node's drive (each object's xl.meta). */
  async 'drive-objects'(_ctx, state, args) {
    const member = memberByName(state.members, args.member);
    return objectsOnDrive(join(member.dataDir, 'data', String(args.bucket))).sort();
  },

  /** The DR site's endpoint and its mirror's status (the last cycles), or null without one. */
  async 'dr-status'(_ctx, state) {
    const dr = state.info.drSite as Omit<DrStatus, 'running' | 'status'> | null;
    if (!dr) return null;
    const status = existsSync(dr.statusFile)
      ? (JSON.parse(readFileSync(dr.statusFile, 'utf8')) as MirrorStatus)
      : null;
    const running = (state.support ?? []).map((m) => ({ name: m.name, running: memberRunning(m) }));
    return { ...dr, running, status };
  },
};

export const minio: ComponentDriver = {
  name: 'minio',
  // The table is typed against MinioActions; the sandbox's registry holds untyped JSON operations.
  actions: untypedActions(actions),

  async prepare(ctx) {
    const binary = requireInstalled(`MinIO ${ctx.toolchain.versions.MINIO_VERSION}`, ctx.toolchain.minio);
    const model = component(ctx.topology, 'minio');
    const replicas = model.replicas ?? 1;
    const layout = erasureLayout(model.env.MINIO_STORAGE_CLASS_STANDARD, replicas);
    const base = ownedDir(ctx, join(ctx.dir, 'minio'));

    const members: MemberState[] = [];
    for (let i = 0; i < replicas; i++) {
      const dataDir = ownedDir(ctx, join(base, `minio-${i}`));
      ownedDir(ctx, join(dataDir, 'data'));
      ownedDir(ctx, join(dataDir, 'certs'));
      members.push({
        name: `minio-${i}`,
        index: i,
        ports: {
          s3: await ctx.ports.allocate(`minio-${i} s3`),
          console: await ctx.ports.allocate(`minio-${i} console`),
        },
        dataDir,
        processes: [],
        pids: {},
      });
    }
    // Every node gets the same list, in ordinal order, as the StatefulSet's `minio-{0...3}` expands.
    const endpoints = members.map((m) => url(m.ports.s3!, join(m.dataDir, 'data')));

    const rootUser = `firedrill-${randomBytes(6).toString('hex')}`;
    const rootPassword = randomBytes(24).toString('base64url');
    const env: Record<string, string> = {
      // The model's MINIO_* settings (the storage class) exactly as the pods get them.
      ...Object.fromEntries(Object.entries(model.env).filter(([k]) => k.startsWith('MINIO_'))),
      MINIO_ROOT_USER: rootUser,
      MINIO_ROOT_PASSWORD: rootPassword,
      // The drives share the root disk, which MinIO otherwise refuses outside CI/CD mode.
      MINIO_CI_CD: 'on',
      // No internet here, and nothing should ever call home from a sandbox.
      MINIO_UPDATE: 'off',
      MINIO_CALLHOME_ENABLE: 'off',
      MINIO_BROWSER_REDIRECT: 'off',
    };

    for (const m of members) {
      m.processes.push({
        name: m.name,
        command: binary,
        args: [
          'server',
          '--quiet',
          '--address',
          `${HOST}:${m.ports.s3}`,
          '--console-address',
          `${HOST}:${m.ports.console}`,
          // Not ~/.minio/certs: nothing of a sandbox lives outside its directory.
          '--certs-dir',
          join(m.dataDir, 'certs'),
          ...endpoints,
        ],
        env: {
          ...env,
          // /.dockerenv makes MinIO treat itself as orchestrated, and then it waits forever for a
          // loopback endpoint to "resolve to a valid IP". Naming the node's own endpoint (host:port,
          // as in the URL) is how an orchestrated node learns which endpoint is local.
          _MINIO_SERVER_LOCAL: `${HOST}:${m.ports.s3}`,
        },
        logFile: join(m.dataDir, 'minio.log'),
        cwd: m.dataDir,
      });
    }

    // Optional DR site (FIREDRILL_MINIO_DR_SITE=on): a second, single-node MinIO deployment kept in
    // step by an asynchronous mirror of the primary (src/platform/local/minio-mirror.ts). Support
    // processes: never targeted by `kill minio`, stopped with the sandbox.
    const support: MemberState[] = [];
    let dr: Record<string, unknown> | undefined;
    if (['on', '1', 'true'].includes(process.env.FIREDRILL_MINIO_DR_SITE ?? '')) {
      const dataDir = ownedDir(ctx, join(base, 'dr-site'));
      ownedDir(ctx, join(dataDir, 'data'));
      ownedDir(ctx, join(dataDir, 'certs'));
      const port = await ctx.ports.allocate('minio DR site s3');
      const consolePort = await ctx.ports.allocate('minio DR site console');
      const intervalMs = Number(process.env.FIREDRILL_MINIO_MIRROR_INTERVAL_MS ?? 3_000);
      const statusFile = join(dataDir, 'mirror-status.json');
      support.push({
        name: 'minio-dr',
        index: 0,
        ports: { s3: port, console: consolePort },
        dataDir,
        pids: {},
        processes: [
          {
            name: 'minio-dr',
            command: binary,
            args: [
              'server',
              '--quiet',
              '--address',
              `${HOST}:${port}`,
              '--console-address',
              `${HOST}:${consolePort}`,
              '--certs-dir',
              join(dataDir, 'certs'),
              join(dataDir, 'data'),
            ],
            env: { ...env, MINIO_STORAGE_CLASS_STANDARD: '' },
            logFile: join(dataDir, 'minio.log'),
            cwd: dataDir,
          },
          {
            name: 'minio-dr/mirror',
            command: process.execPath,
            args: ['--import', TSX, MIRROR, statusFile],
            env: {
              MIRROR_SOURCE: members.map((m) => url(m.ports.s3!, '')).join(','),
              MIRROR_TARGET: url(port, ''),
              MIRROR_ACCESS_KEY: rootUser,
              MIRROR_SECRET_KEY: rootPassword,
              MIRROR_INTERVAL_MS: String(intervalMs),
            },
            logFile: join(dataDir, 'mirror.log'),
            cwd: dataDir,
          },
        ],
      });
      dr = {
        s3: url(port, ''),
        mirror: 'asynchronous, every object the DR site lacks, never deletes',
        mirrorIntervalMs: intervalMs,
        statusFile,
      };
    }

    return {
      component: 'minio',
      members,
      ...(support.length ? { support } : {}),
      endpoints: {
        s3: url(members[0]!.ports.s3!, ''),
        nodes: members.map((m) => url(m.ports.s3!, '')).join(','),
        console: url(members[0]!.ports.console!, ''),
      },
      info: {
        version: ctx.toolchain.versions.MINIO_VERSION,
        binaryVersion: binaryVersion(binary),
        ...layout,
        region: 'us-east-1',
        rootUser,
        rootPassword,
        drSite: dr ?? null,
      },
    } satisfies ComponentState;
  },

  async start(ctx, state) {
    for (const s of state.support ?? []) launchMember(ctx, s);
    // Distributed MinIO waits for its peers before it serves anything: start all nodes together.
    for (const m of state.members) launchMember(ctx, m);
    for (const m of state.members)
      await waitHealthy(m, 'the node to answer /minio/health/live', () => live(nodeUrl(m)));
    // Up means every node serves S3 with write quorum, not just the first one to finish its init.
    for (const m of state.members) {
      await waitHealthy(m, 'write quorum as the node sees it (/minio/health/cluster)', async () => {
        for (const other of state.members) assertStillRunning(other);
        return clusterWritable(nodeUrl(m));
      });
    }
  },

  async startMember(ctx, state, member) {
    launchMember(ctx, member);
    await waitHealthy(member, 'the node to answer /minio/health/live', () => live(nodeUrl(member)));
    // With fewer nodes running than the write quorum (e.g. restarting a fully stopped cluster one
    // member at a time), no node can report the cluster healthy yet: the member that completes the
    // quorum waits for it.
    const running = state.members.filter((m) => memberRunning(m)).length;
    const { writeQuorum } = state.info as unknown as ErasureLayout;
    if (running < writeQuorum) return;
    // Blank drives (a site rebuilt after losing every drive) are formatted only once every node of
    // the deployment is up, as at first start: until the last member starts, nothing can have quorum.
    const blank = state.members.every((m) => driveBlank(join(m.dataDir, 'data')));
    if (blank && running < state.members.length) return;
    await waitHealthy(member, 'write quorum as seen by the restarted node (/minio/health/cluster)', () =>
      clusterWritable(nodeUrl(member)),
    );
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    const out: MemberHealth[] = [];
    for (const m of state.members) out.push({ member: m.name, ...(await nodeHealth(nodeUrl(m))) });
    return out;
  },
};
