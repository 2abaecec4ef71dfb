// Milvus standalone from the topology's `milvus` StatefulSet (embedded etcd, local storage, as its
// env says). The server comes from the PyPI package "milvus" (embedded Milvus): the package ships
// the real `milvus` binary and its libraries xz-compressed, plus a milvus.yaml template. We do what
// its launcher does — unpack the binary, fill in the template, run `milvus run standalone` — but
// ourselves, so that the process is ours (own process group, no Python parent), its data sits in
// the sandbox, and every port comes from the sandbox's allocator instead of the launcher's scan.
//
// Milvus 2.3.5 hard-codes its gRPC servers (proxy, coordinators, nodes) and its metrics server to
// listen on every address (":"+port), whatever the config says. So, where we may (root), it runs in
// a network namespace of its own, whose only interface is its own loopback: there its ports are
// fixed defaults, reachable by nothing outside. The client (proxy) port and the metrics/health
// port are bridged to the host's 127.0.0.1 through Unix sockets (a filesystem socket crosses
// network namespaces): forward.ts unix-to-tcp inside the namespace, in Milvus's process group, and
// forward.ts tcp-to-unix on the host, the member's second process. Where we may not, Milvus runs
// as before, on allocated ports that it binds on every address, and says so.
//
// What Milvus is (its client, configuration, storage layout) is the Milvus room's
// (src/systems/milvus); unpacking the server is install-time work (../milvus-runtime.ts).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MilvusActions } from '../../../systems/milvus/actions.ts';
import { checkHealth, serverVersion } from '../../../systems/milvus/client.ts';
import {
  DEFAULT_PORTS,
  embedEtcdConfig,
  PORT_KEYS,
  standaloneConfig,
} from '../../../systems/milvus/config.ts';
import { indexFiles, sha256File, storageRoot, walkFiles } from '../../../systems/milvus/storage.ts';
import { component } from '../../../topology/model.ts';
import { UserError } from '../../../util/errors.ts';
import { launchMember, memberRunning, waitHealthy } from '../members.ts';
import { milvusPackage, milvusRuntime } from '../milvus-runtime.ts';
import { HOST } from '../ports.ts';
import { isAlive, type ProcessSpec } from '../process.ts';
import { requireInstalled } from '../toolchain.ts';
import {
  untypedActions,
  type ActionTable,
  type ComponentDriver,
  type ComponentState,
  type MemberHealth,
  type MemberState,
} from '../types.ts';

const FORWARD = fileURLToPath(new URL('../forward.ts', import.meta.url));
/** tsx's loader by absolute URL: the forwarders run with cwd elsewhere than this repository. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Longest path a Unix socket address holds (sun_path is 108 bytes, NUL included). */
const MAX_SOCKET_PATH = 107;

/**
 * Whether we may give Milvus a network namespace of its own and bring its loopback up: needs
 * CAP_SYS_ADMIN (root), util-linux's unshare and iproute2's ip. A reason when not.
 */
export function networkNamespaceSupport(): true | string {
  const out = spawnSync('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (out.status === 0) return true;
  return out.error?.message ?? (out.stderr.trim() || `unshare --net exited ${out.status ?? out.signal}`);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

// --- actions drills invoke (Platform.action) ------------------------------------------------------

const rootOf = (state: ComponentState) => storageRoot(String(state.info.config));
const snapshotsDir = (state: ComponentState) => join(state.members[0]!.dataDir, 'snapshots');

function requireStopped(state: ComponentState, what: string): void {
  if (memberRunning(state.members[0]!)) throw new UserError(`milvus-0 is running: stop it before ${what}`);
}

const actions: ActionTable<MilvusActions> = {
  /** The index files of the given segments, found in Milvus's storage, each with its size and SHA-256. */
  async 'index-files'(_ctx, state, args) {
    return indexFiles(rootOf(state), args.segments ?? []);
  },

  /** Overwrites files (in Milvus's storage only) in place with random bytes of the same length. */
  async 'overwrite-files'(_ctx, state, args) {
    const root = rootOf(state);
    return (args.paths ?? []).map((path) => {
      if (!path.startsWith(root + '/')) throw new UserError(`${path} is not in Milvus's storage (${root})`);
      const bytes = statSync(path).size;
      writeFileSync(path, randomBytes(bytes));
      return { path, bytes, sha256: sha256File(path) };
    });
  },

  /**
   * A crash-consistent snapshot of everything Milvus keeps (embedded etcd, rocksmq, binlogs, index
   * files: its whole storage root) taken together: the process group is paused (SIGSTOP), the
   * directory copied, the group resumed (SIGCONT). What a volume snapshot gives on Kubernetes.
   */
  async snapshot(_ctx, state, args) {
    const member = state.members[0]!;
    const pid = member.pids[member.name];
    if (!pid || !memberRunning(member))
      throw new UserError('milvus-0 is not running: nothing to snapshot consistently');
    const label = String(args.label ?? `snap-${Date.now()}`);
    const dest = join(snapshotsDir(state), label);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(snapshotsDir(state), { recursive: true });
    process.kill(-pid, 'SIGSTOP');
    const at = Date.now();
    let resumedAt: number;
    try {
      cpSync(rootOf(state), dest, { recursive: true });
    } finally {
      process.kill(-pid, 'SIGCONT');
      resumedAt = Date.now();
    }
    const bytes = walkFiles(dest).reduce((n, f) => n + statSync(f).size, 0);
    return { label, path: dest, at, pausedMs: resumedAt - at, bytes };
  },

  /** SIGCONT to the process group a snapshot pauses: what its `finally` does, for a dead worker. */
  async resume(_ctx, state) {
    const member = state.members[0]!;
    const pid = member.pids[member.name];
    if (!pid || !memberRunning(member)) return { member: member.name, resumed: false };
    process.kill(-pid, 'SIGCONT');
    return { member: member.name, resumed: true };
  },

  async snapshots(_ctx, state) {
    const dir = snapshotsDir(state);
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  },

  /** Removes Milvus's whole storage root (the "volume lost" fault). Milvus must be stopped. */
  async 'wipe-data'(_ctx, state) {
    requireStopped(state, 'wiping its data');
    const root = rootOf(state);
    const removed = readdirSync(root);
    for (const e of removed) rmSync(join(root, e), { recursive: true, force: true });
    return { root, removed };
  },

  /** Replaces Milvus's storage root with a snapshot. Milvus must be stopped. */
  async 'restore-snapshot'(_ctx, state, args) {
    requireStopped(state, 'restoring a snapshot');
    const src = join(snapshotsDir(state), String(args.label));
    if (!existsSync(src))
      throw new UserError(`no Milvus snapshot "${String(args.label)}" in ${snapshotsDir(state)}`);
    const root = rootOf(state);
    const started = Date.now();
    for (const e of readdirSync(root)) rmSync(join(root, e), { recursive: true, force: true });
    cpSync(src, root, { recursive: true });
    return { label: args.label, root, ms: Date.now() - started };
  },
};

export const milvus: ComponentDriver = {
  name: 'milvus',
  // The table is typed against MilvusActions; the sandbox's registry holds untyped JSON operations.
  actions: untypedActions(actions),

  async prepare(ctx) {
    const python = requireInstalled(
      `Milvus ${ctx.toolchain.versions.MILVUS_VERSION} (PyPI "milvus")`,
      ctx.toolchain.milvusPython,
    );
    const model = component(ctx.topology, 'milvus');
    if (model.env.ETCD_USE_EMBED !== 'true' || model.env.COMMON_STORAGETYPE !== 'local') {
      throw new Error(
        'the sandbox runs Milvus standalone with embedded etcd and local storage, as deploy/k8s says; the model now says otherwise',
      );
    }
    const pkg = milvusPackage(python);
    const binDir = milvusRuntime(python, pkg);

    const dataDir = join(ctx.dir, 'milvus');
    const dirs = {
      configs: join(dataDir, 'configs'),
      data: join(dataDir, 'data'),
      logs: join(dataDir, 'logs'),
      run: join(dataDir, 'run'),
    };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });

    const isolation = networkNamespaceSupport();
    const netns = isolation === true;
    // `ports`: what Milvus listens on (in its namespace, or on the host); `hostPorts`: what the
    // host's 127.0.0.1 serves (the forwarder's ports, or Milvus's own without a namespace).
    let ports: Record<string, number>;
    let hostPorts: Record<string, number>;
    const sockets = { proxy: join(dirs.run, 'proxy.sock'), metrics: join(dirs.run, 'metrics.sock') };
    if (netns) {
      for (const path of Object.values(sockets)) {
        if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
          throw new Error(
            `Unix socket path too long (${Buffer.byteLength(path)} > ${MAX_SOCKET_PATH} bytes): ${path}; use a shorter FIREDRILL_HOME`,
          );
        }
        rmSync(path, { force: true });
      }
      // Inside its own network namespace Milvus has the loopback to itself: its own default ports.
      ports = { ...DEFAULT_PORTS };
      hostPorts = {
        proxy_port: await ctx.ports.allocate('milvus proxy (forwarded)'),
        metrics_port: await ctx.ports.allocate('milvus metrics (forwarded)'),
      };
    } else {
      ctx.log(
        `milvus: WARNING: cannot give Milvus a private network namespace (${isolation}); ` +
          'Milvus 2.3.5 hard-codes its gRPC and metrics servers to listen on ALL addresses, so its ports are reachable from other hosts. ' +
          'Run as root (unshare --net, ip from iproute2) to keep it on 127.0.0.1.',
      );
      ports = {};
      for (const key of PORT_KEYS)
        ports[key] = await ctx.ports.allocate(`milvus ${key.replace(/_port$/, '').replace(/_/g, ' ')}`);
      ports.etcd_peer_port = await ctx.ports.allocate('milvus etcd peer');
      ports.metrics_port = await ctx.ports.allocate('milvus metrics');
      hostPorts = ports;
    }

    // The embedded etcd takes its listeners from an etcd config file.
    const etcdConfig = join(dirs.configs, 'embed-etcd.yaml');
    writeFileSync(
      etcdConfig,
      embedEtcdConfig(HOST, { etcd_port: ports.etcd_port!, etcd_peer_port: ports.etcd_peer_port! }),
    );

    const template = readFileSync(join(pkg.dir, 'data', 'config.yaml.template'), 'utf8');
    const { yaml, sessionTtlSeconds } = standaloneConfig(template, {
      host: HOST,
      ports,
      etcdConfig,
      dataDir: dirs.data,
      logsDir: dirs.logs,
      storageType: model.env.COMMON_STORAGETYPE!,
    });
    const configFile = join(dirs.configs, 'milvus.yaml');
    writeFileSync(configFile, yaml);
    copyFileSync(join(pkg.dir, 'data', 'glog.conf'), join(dirs.configs, 'glog.conf'));

    const binary = join(binDir, 'milvus');
    const env = {
      DEPLOY_MODE: 'STANDALONE',
      METRICS_PORT: String(ports.metrics_port),
      MILVUS_RUN_DIR: dirs.run,
      MILVUSCONF: dirs.configs,
    };
    const libraryPath = [binDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    const logFile = join(dirs.logs, 'milvus.log');
    const forwardLog = join(dirs.logs, 'forward.log');
    const processes: ProcessSpec[] = netns
      ? [
          {
            // `unshare --net` (no --fork: nothing here needs a pid namespace) execs the shell, the
            // shell execs Milvus: one pid, the member's, and one process group holding Milvus and
            // the namespace-side forwarder, so killing the member kills both. The forwarder also
            // exits by itself once Milvus is gone. Milvus's bundled libraries stay out of Node's way.
            name: 'milvus-0',
            command: 'unshare',
            args: [
              '--net',
              '--',
              'sh',
              '-c',
              [
                'set -e',
                'ip link set lo up',
                [
                  shellQuote(process.execPath),
                  '--import',
                  shellQuote(TSX),
                  shellQuote(FORWARD),
                  'unix-to-tcp',
                  '--parent',
                  '$$',
                  shellQuote(sockets.proxy),
                  `${HOST}:${ports.proxy_port}`,
                  shellQuote(sockets.metrics),
                  `${HOST}:${ports.metrics_port}`,
                  `>>${shellQuote(forwardLog)}`,
                  '2>&1',
                  '&',
                ].join(' '),
                `export LD_LIBRARY_PATH=${shellQuote(libraryPath)}`,
                `exec ${shellQuote(binary)} run standalone`,
              ].join('\n'),
            ],
            env,
            logFile,
            cwd: dataDir,
          },
          {
            name: 'milvus-0/forward',
            command: process.execPath,
            args: [
              '--import',
              TSX,
              FORWARD,
              'tcp-to-unix',
              `${HOST}:${hostPorts.proxy_port}`,
              sockets.proxy,
              `${HOST}:${hostPorts.metrics_port}`,
              sockets.metrics,
            ],
            logFile: forwardLog,
            cwd: dataDir,
          },
        ]
      : [
          {
            name: 'milvus-0',
            command: binary,
            args: ['run', 'standalone'],
            env: { ...env, LD_LIBRARY_PATH: libraryPath },
            logFile,
            cwd: dataDir,
          },
        ];

    const member: MemberState = {
      name: 'milvus-0',
      index: 0,
      ports: hostPorts,
      dataDir,
      pids: {},
      processes,
    };
    return {
      component: 'milvus',
      members: [member],
      endpoints: {
        address: `${HOST}:${hostPorts.proxy_port}`,
        metrics: `http://${HOST}:${hostPorts.metrics_port}/metrics`,
      },
      info: {
        version: ctx.toolchain.versions.MILVUS_VERSION,
        packageVersion: pkg.version,
        mode: 'standalone',
        storage: model.env.COMMON_STORAGETYPE,
        etcd: 'embedded',
        // A killed server's etcd sessions must expire before the restarted one is healthy, so a
        // restart after a kill takes about this long, whatever the machine.
        sessionTtlSeconds,
        config: configFile,
        binary,
        // 'netns': Milvus listens only inside its own network namespace; the host sees the
        // forwarders on 127.0.0.1. 'none': Milvus's own listeners, on every address.
        networkIsolation: netns ? 'netns' : 'none',
        ...(netns ? { namespacePorts: ports } : {}),
      },
    } satisfies ComponentState;
  },

  async start(ctx, state) {
    for (const m of state.members) await this.startMember(ctx, state, m);
  },

  async startMember(ctx, state, member) {
    // Milvus writes /tmp/milvus/server_id_<pid> (a hard-coded path) and leaves it behind when it is
    // killed (and, as seen here, on SIGTERM too): remove the previous incarnation's file.
    const previous = Number(state.info.lastPid);
    if (previous && !isAlive(previous)) rmSync(`/tmp/milvus/server_id_${previous}`, { force: true });
    launchMember(ctx, member);
    state.info.lastPid = member.pids[member.name];
    const address = state.endpoints.address!;
    await waitHealthy(
      member,
      'the proxy to answer CheckHealth as healthy',
      async () => {
        const ok = await checkHealth(address);
        if (ok !== true) throw new Error(ok);
        return true;
      },
      240_000,
    );
    const version = await serverVersion(address); // informative only
    if (version !== undefined) state.info.serverVersion = version;
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    const ok = await checkHealth(state.endpoints.address!).catch((e: Error) => e.message);
    return [
      { member: 'milvus-0', up: ok === true, detail: ok === true ? 'CheckHealth: healthy' : String(ok) },
    ];
  },
};
