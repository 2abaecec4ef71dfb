// MinIO ×N in distributed mode from the topology's `minio` StatefulSet: replica count and the
// erasure-coding setting (MINIO_STORAGE_CLASS_STANDARD) come from the model; each member is one
// `minio server` process on its own loopback port serving its own drive, and every member is given
// the same endpoint list, so the erasure set spans all of them as it does across the pods.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../../../util/errors.ts';
import type { ComponentAction } from '../types.ts';
import { component } from '../../../topology/model.ts';
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
import type { ComponentDriver, ComponentState, MemberHealth, MemberState } from '../types.ts';

export interface ErasureLayout {
  storageClass: string;
  drives: number;
  parity: number;
  /** Drives (= nodes here) that must answer for a write; MinIO adds one when data = parity. */
  writeQuorum: number;
  readQuorum: number;
}

/** "EC:2" on 4 drives → parity 2, read quorum 2, write quorum 3. */
export function erasureLayout(storageClass: string | undefined, drives: number): ErasureLayout {
  // MinIO's own default when the class is unset: EC:4 from 16 drives down, EC:2 for 4–5, EC:1 below.
  const fallback = drives >= 6 ? Math.min(4, Math.floor(drives / 2)) : drives >= 4 ? 2 : drives >= 2 ? 1 : 0;
  let parity = fallback;
  if (storageClass) {
    const m = /^EC:(\d+)$/.exec(storageClass.trim());
    if (!m) throw new Error(`MINIO_STORAGE_CLASS_STANDARD "${storageClass}" is not of the form EC:<parity>`);
    parity = Number(m[1]);
  }
  if (parity > drives / 2)
    throw new Error(`EC:${parity} needs at least ${parity * 2} drives, the topology has ${drives}`);
  const data = drives - parity;
  return {
    storageClass: storageClass ?? `EC:${parity}`,
    drives,
    parity,
    writeQuorum: data === parity ? data + 1 : data,
    readQuorum: data,
  };
}

const url = (port: number, path: string) => `http://${HOST}:${port}${path}`;

/** Status of a plain GET; throws when the node does not answer at all (refused, timed out). */
async function httpStatus(port: number, path: string, timeoutMs = 2_000): Promise<number> {
  const res = await fetch(url(port, path), { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer().catch(() => {});
  return res.status;
}

const live = async (m: MemberState) => (await httpStatus(m.ports.s3!, '/minio/health/live')) === 200;

/** Write quorum as `member` sees it (200 only when enough drives answer for a write). */
const clusterWritable = async (m: MemberState) =>
  (await httpStatus(m.ports.s3!, '/minio/health/cluster')) === 200;

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

function objectsOnDrive(dir: string, prefix = '', out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === 'xl.meta') out.push(prefix.slice(0, -1));
    else if (statSync(p).isDirectory()) objectsOnDrive(p, `${prefix}${e}/`, out);
  }
  return out;
}

const actions: Record<string, ComponentAction> = {
  /** Removes everything on a stopped node's drive (the "drive replaced" fault), .minio.sys included. */
  async 'wipe-drive'(_ctx, state, args) {
    const member = memberByName(state.members, args.member as string | number);
    if (memberRunning(member))
      throw new UserError(`${member.name} is running: stop it before wiping its drive`);
    const drive = join(member.dataDir, 'data');
    const removed = readdirSync(drive);
    for (const e of removed) rmSync(join(drive, e), { recursive: true, force: true });
    return { member: member.name, drive, removed };
  },

  /** The object keys of `bucket` present on one node's drive (each object's xl.meta). */
  async 'drive-objects'(_ctx, state, args) {
    const member = memberByName(state.members, args.member as string | number);
    return objectsOnDrive(join(member.dataDir, 'data', String(args.bucket))).sort();
  },

  /** The DR site's endpoint and its mirror's status (the last cycles), or null without one. */
  async 'dr-status'(_ctx, state) {
    const dr = state.info.drSite as { statusFile: string } | null;
    if (!dr) return null;
    const status = existsSync(dr.statusFile) ? JSON.parse(readFileSync(dr.statusFile, 'utf8')) : null;
    const running = (state.support ?? []).map((m) => ({ name: m.name, running: memberRunning(m) }));
    return { ...dr, running, status };
  },
};

export const minio: ComponentDriver = {
  name: 'minio',
  actions,

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
      await waitHealthy(m, 'the node to answer /minio/health/live', () => live(m));
    // Up means every node serves S3 with write quorum, not just the first one to finish its init.
    for (const m of state.members) {
      await waitHealthy(m, 'write quorum as the node sees it (/minio/health/cluster)', async () => {
        for (const other of state.members) assertStillRunning(other);
        return clusterWritable(m);
      });
    }
  },

  async startMember(ctx, state, member) {
    launchMember(ctx, member);
    await waitHealthy(member, 'the node to answer /minio/health/live', () => live(member));
    // With fewer nodes running than the write quorum (e.g. restarting a fully stopped cluster one
    // member at a time), no node can report the cluster healthy yet: the member that completes the
    // quorum waits for it.
    const running = state.members.filter((m) => memberRunning(m)).length;
    const { writeQuorum } = state.info as unknown as ErasureLayout;
    if (running < writeQuorum) return;
    // Blank drives (a site rebuilt after losing every drive) are formatted only once every node of
    // the deployment is up, as at first start: until the last member starts, nothing can have quorum.
    const blank = state.members.every(
      (m) => !existsSync(join(m.dataDir, 'data', '.minio.sys', 'format.json')),
    );
    if (blank && running < state.members.length) return;
    await waitHealthy(member, 'write quorum as seen by the restarted node (/minio/health/cluster)', () =>
      clusterWritable(member),
    );
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    const out: MemberHealth[] = [];
    for (const m of state.members) {
      try {
        if (!(await live(m))) {
          out.push({ member: m.name, up: false, detail: 'liveness probe failed' });
          continue;
        }
        const write = await httpStatus(m.ports.s3!, '/minio/health/cluster');
        const read = await httpStatus(m.ports.s3!, '/minio/health/cluster/read');
        const quorum =
          write === 200 ? 'write quorum' : read === 200 ? 'read quorum only (writes refused)' : 'no quorum';
        out.push({ member: m.name, up: true, detail: `live; cluster: ${quorum}` });
      } catch (err) {
        out.push({
          member: m.name,
          up: false,
          detail: (err as Error).cause
            ? String((err as Error & { cause: unknown }).cause)
            : (err as Error).message,
        });
      }
    }
    return out;
  },
};
