// Milvus standalone from the topology's `milvus` StatefulSet (embedded etcd, local storage, as its
// env says). The server comes from the PyPI package "milvus" (embedded Milvus): the package ships
// the real `milvus` binary and its libraries xz-compressed, plus a milvus.yaml template. We do what
// its launcher does — unpack the binary, fill in the template, run `milvus run standalone` — but
// ourselves, so that the process is ours (own process group, no Python parent), its data sits in
// the sandbox, and every port comes from the sandbox's allocator instead of the launcher's scan.
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
import { dirname, join } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { parseDocument } from 'yaml';
import { component } from '../../../topology/model.ts';
import { launchMember, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import { isAlive } from '../process.ts';
import { requireInstalled } from '../toolchain.ts';
import type { ComponentDriver, ComponentState, MemberHealth, MemberState } from '../types.ts';

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

export const milvus: ComponentDriver = {
  name: 'milvus',

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

    const ports: Record<string, number> = {};
    for (const key of PORT_KEYS)
      ports[key] = await ctx.ports.allocate(`milvus ${key.replace(/_port$/, '').replace(/_/g, ' ')}`);
    ports.etcd_peer_port = await ctx.ports.allocate('milvus etcd peer');
    ports.metrics_port = await ctx.ports.allocate('milvus metrics');

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

    const member: MemberState = {
      name: 'milvus-0',
      index: 0,
      ports,
      dataDir,
      pids: {},
      processes: [
        {
          name: 'milvus-0',
          command: join(binDir, 'milvus'),
          args: ['run', 'standalone'],
          env: {
            DEPLOY_MODE: 'STANDALONE',
            METRICS_PORT: String(ports.metrics_port),
            MILVUS_RUN_DIR: dirs.run,
            MILVUSCONF: dirs.configs,
            LD_LIBRARY_PATH: [binDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
          },
          logFile: join(dirs.logs, 'milvus.log'),
          cwd: dataDir,
        },
      ],
    };
    return {
      component: 'milvus',
      members: [member],
      endpoints: {
        address: `${HOST}:${ports.proxy_port}`,
        metrics: `http://${HOST}:${ports.metrics_port}/metrics`,
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
        binary: join(binDir, 'milvus'),
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
