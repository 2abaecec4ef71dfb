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
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { parseDocument } from 'yaml';
import { cpSync, readdirSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { component } from '../../../topology/model.ts';
import { UserError } from '../../../util/errors.ts';
import { memberRunning } from '../members.ts';
import type { ComponentAction } from '../types.ts';
import { launchMember, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import { isAlive } from '../process.ts';
import { requireInstalled } from '../toolchain.ts';
import type { ProcessSpec } from '../process.ts';
import type { ComponentDriver, ComponentState, MemberHealth, MemberState } from '../types.ts';

const FORWARD = fileURLToPath(new URL('../forward.ts', import.meta.url));
/** tsx's loader by absolute URL: the forwarders run with cwd elsewhere than this repository. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface MilvusPackage {
  /** site-packages/milvus: data/config.yaml.template, data/glog.conf, data/bin/*.lzma */
  dir: string;
  version: string;
}

function milvusPackage(python: string): MilvusPackage {
  const out = spawnSync(
    python,
    ['-c', 'import milvus, os; print(os.path.dirname(milvus.__file__)); print(milvus.__version__)'],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (out.status !== 0) throw new Error(`cannot import the milvus package with ${python}:\n${out.stderr}`);
  const [dir, version] = out.stdout.trim().split('\n');
  return { dir: dir!, version: version! };
}

/**
 * The unpacked server (binary + bundled libraries), shared by every sandbox: 250 MB and ~4 s of xz
 * per unpack. Unpacked by the package's own routine into a scratch directory, then renamed into
 * place, so sandboxes starting at the same time never see a half-written binary.
 */
export function milvusRuntime(python: string, pkg: MilvusPackage): string {
  const root = join(dirname(dirname(python)), 'runtime');
  const stamp = join(root, 'bin', '.unpacked');
  const ready = () => existsSync(stamp) && readFileSync(stamp, 'utf8') === pkg.version;
  if (ready()) return join(root, 'bin');
  const scratch = `${root}.tmp-${process.pid}-${Date.now()}`;
  try {
    const out = spawnSync(
      python,
      ['-c', 'import sys, milvus; milvus._initialize_data_files(sys.argv[1])', scratch],
      { encoding: 'utf8', timeout: 300_000 },
    );
    if (out.status !== 0) throw new Error(`unpacking the milvus server failed:\n${out.stderr}`);
    writeFileSync(join(scratch, 'bin', '.unpacked'), pkg.version);
    if (ready()) return join(root, 'bin'); // another sandbox finished first
    // An unpack of another version, or one that was cut short: move it aside, then swap ours in.
    if (existsSync(root)) {
      const stale = `${root}.stale-${process.pid}-${Date.now()}`;
      renameSync(root, stale);
      rmSync(stale, { recursive: true, force: true });
    }
    try {
      renameSync(scratch, root);
    } catch (err) {
      if (!ready()) throw err; // lost a race to a complete unpack: use that one
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return join(root, 'bin');
}

/** Every port the standalone process listens on, keyed as the template names them. */
const PORT_KEYS = [
  'proxy_port',
  'proxy_internal_port',
  'root_coord_port',
  'query_coord_port',
  'query_node_port',
  'index_coord_port',
  'index_node_port',
  'data_coord_port',
  'data_node_port',
  'etcd_port',
] as const;

/**
 * Inside its own network namespace Milvus has the loopback to itself: its ports are the package
 * template's defaults (etcd's and the metrics port being etcd's and Milvus's own defaults).
 */
const NAMESPACE_PORTS: Record<string, number> = {
  proxy_port: 19530,
  proxy_internal_port: 19529,
  root_coord_port: 53100,
  query_coord_port: 19531,
  query_node_port: 21123,
  index_coord_port: 22930,
  index_node_port: 21121,
  data_coord_port: 13333,
  data_node_port: 21124,
  etcd_port: 2379,
  etcd_peer_port: 2380,
  metrics_port: 9091,
};

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

/** Fills the package's `{{ key(type): default }}` placeholders the way its launcher does. */
export function renderTemplate(template: string, values: Record<string, string | number | boolean>): string {
  return template.replace(/\{\{(.*?)}}/g, (_all, inner: string) => {
    const key = inner
      .split(':')[0]!
      .replace(/\(.*\)/, '')
      .trim();
    if (key in values) return String(values[key]);
    const fallback = inner.includes(':') ? inner.slice(inner.indexOf(':') + 1).trim() : undefined;
    if (fallback === undefined) throw new Error(`milvus.yaml template: no value for {{${inner}}}`);
    return fallback;
  });
}

const COMPONENT_SECTIONS = [
  'rootCoord',
  'proxy',
  'queryCoord',
  'queryNode',
  'indexNode',
  'dataCoord',
  'dataNode',
];

function client(address: string, timeoutMs = 3_000): MilvusClient {
  const c = new MilvusClient({ address, timeout: timeoutMs, maxRetries: 0, logLevel: 'error' });
  c.connectPromise.catch(() => {}); // the constructor connects eagerly; a failure shows up on first use
  return c;
}

async function healthy(address: string): Promise<string | true> {
  const c = client(address);
  try {
    const res = await c.checkHealth();
    return res.isHealthy ? true : `unhealthy: ${res.reasons.join('; ') || 'no reason given'}`;
  } finally {
    c.closeConnection();
  }
}

// --- actions drills invoke (Platform.action) ------------------------------------------------------

/** Milvus's local storage root, as its own configuration names it (localStorage.path). */
function storageRoot(state: ComponentState): string {
  const doc = parseDocument(readFileSync(String(state.info.config), 'utf8'));
  const path = doc.getIn(['localStorage', 'path']);
  if (typeof path !== 'string' || !path)
    throw new Error(`${String(state.info.config)} names no localStorage.path`);
  return path;
}

function walkFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walkFiles(p, out);
    else out.push(p);
  }
  return out;
}

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const snapshotsDir = (state: ComponentState) => join(state.members[0]!.dataDir, 'snapshots');

function requireStopped(state: ComponentState, what: string): void {
  if (memberRunning(state.members[0]!)) throw new UserError(`milvus-0 is running: stop it before ${what}`);
}

const actions: Record<string, ComponentAction> = {
  /**
   * The index files of the given segments, found in Milvus's storage: index_files/<build>/<version>/
   * <partition>/<segment>/<file>. Each with its size and SHA-256.
   */
  async 'index-files'(_ctx, state, args) {
    const segments = new Set(((args.segments as (string | number)[] | undefined) ?? []).map(String));
    const root = join(storageRoot(state), 'index_files');
    return walkFiles(root)
      .map((path) => ({ path, rel: path.slice(root.length + 1).split('/') }))
      .filter((f) => f.rel.length === 5 && (!segments.size || segments.has(f.rel[3]!)))
      .map((f) => ({
        path: f.path,
        buildId: f.rel[0],
        partitionId: f.rel[2],
        segmentId: f.rel[3],
        file: f.rel[4],
        bytes: statSync(f.path).size,
        sha256: sha256File(f.path),
      }));
  },

  /** Overwrites files (in Milvus's storage only) in place with random bytes of the same length. */
  async 'overwrite-files'(_ctx, state, args) {
    const root = storageRoot(state);
    return ((args.paths as string[] | undefined) ?? []).map((path) => {
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
      cpSync(storageRoot(state), dest, { recursive: true });
    } finally {
      process.kill(-pid, 'SIGCONT');
      resumedAt = Date.now();
    }
    const bytes = walkFiles(dest).reduce((n, f) => n + statSync(f).size, 0);
    return { label, path: dest, at, pausedMs: resumedAt - at, bytes };
  },

  async snapshots(_ctx, state) {
    const dir = snapshotsDir(state);
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  },

  /** Removes Milvus's whole storage root (the "volume lost" fault). Milvus must be stopped. */
  async 'wipe-data'(_ctx, state) {
    requireStopped(state, 'wiping its data');
    const root = storageRoot(state);
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
    const root = storageRoot(state);
    const started = Date.now();
    for (const e of readdirSync(root)) rmSync(join(root, e), { recursive: true, force: true });
    cpSync(src, root, { recursive: true });
    return { label: args.label, root, ms: Date.now() - started };
  },
};

export const milvus: ComponentDriver = {
  name: 'milvus',
  actions,

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
      ports = { ...NAMESPACE_PORTS };
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

    // The embedded etcd takes its listeners from an etcd config file; without one it uses etcd's
    // defaults, localhost:2379/2380, fixed ports that would collide with any other etcd.
    const etcdConfig = join(dirs.configs, 'embed-etcd.yaml');
    const peer = `http://${HOST}:${ports.etcd_peer_port}`;
    const clientUrl = `http://${HOST}:${ports.etcd_port}`;
    writeFileSync(
      etcdConfig,
      [
        'name: milvus-embed',
        `listen-client-urls: ${clientUrl}`,
        `advertise-client-urls: ${clientUrl}`,
        `listen-peer-urls: ${peer}`,
        `initial-advertise-peer-urls: ${peer}`,
        `initial-cluster: milvus-embed=${peer}`,
        'initial-cluster-state: new',
        '',
      ].join('\n'),
    );

    const template = readFileSync(join(pkg.dir, 'data', 'config.yaml.template'), 'utf8');
    const rendered = renderTemplate(template, {
      ...Object.fromEntries(PORT_KEYS.map((k) => [k, ports[k]!])),
      etcd_log_level: 'warn',
      etcd_log_path: join(dirs.logs, 'etcd.log'),
      etcd_data_dir: join(dirs.data, 'etcd.data'),
      local_storage_dir: dirs.data,
      rocksmq_data_dir: join(dirs.data, 'rocksmq'),
      system_log_path: '', // server log to stdout, i.e. the process log
    });
    const doc = parseDocument(rendered);
    doc.setIn(['etcd', 'endpoints'], `${HOST}:${ports.etcd_port}`);
    doc.setIn(['etcd', 'config', 'path'], etcdConfig);
    doc.setIn(['indexCoord', 'bindIndexNodeMode', 'address'], `${HOST}:${ports.index_coord_port}`);
    // The address each component registers in etcd (and so the one the others dial).
    for (const section of COMPONENT_SECTIONS) doc.setIn([section, 'ip'], HOST);
    doc.setIn(['log', 'level'], 'warn');
    doc.setIn(['natsmq', 'server', 'storeDir'], join(dirs.data, 'nats'));
    doc.setIn(['natsmq', 'server', 'monitor', 'logFile'], join(dirs.logs, 'nats.log'));
    doc.setIn(['common', 'storageType'], model.env.COMMON_STORAGETYPE);
    doc.setIn(['etcd', 'use', 'embed'], true);
    const sessionTtlSeconds = Number(doc.getIn(['common', 'session', 'ttl']));
    const configFile = join(dirs.configs, 'milvus.yaml');
    writeFileSync(configFile, doc.toString());
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
        const ok = await healthy(address);
        if (ok !== true) throw new Error(ok);
        return true;
      },
      240_000,
    );
    const c = client(address);
    try {
      const v = await c.getVersion();
      state.info.serverVersion = v.version;
    } catch {
      /* informative only */
    } finally {
      c.closeConnection();
    }
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    const ok = await healthy(state.endpoints.address!).catch((e: Error) => e.message);
    return [
      { member: 'milvus-0', up: ok === true, detail: ok === true ? 'CheckHealth: healthy' : String(ok) },
    ];
  },
};
