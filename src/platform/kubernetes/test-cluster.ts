// A real Kubernetes control plane for tests, on 127.0.0.1 only: etcd, kube-apiserver (RBAC + Node
// authorizers, ServiceAccount token signing, ResourceQuota/NamespaceLifecycle admission),
// kube-controller-manager, kube-scheduler and KWOK, whose fake nodes mark scheduled pods
// Running/Ready and bind every PersistentVolumeClaim. Each is a real process built from the Go
// module proxy by `firedrill setup --with k8s` (deploy/local/install.sh), with certificates made
// here by the openssl CLI, tagged with a marker so stop() (or the next start under the same
// name, after a crash) finds and ends every one of them.
//
// Nothing listens on any other address, and nothing is ever sent to the fake pod and node IPs:
// no kubelet, container runtime or kube-proxy exists behind them. A real node can join beside the
// KWOK ones (test-node.ts): the API server is started with the kubelet client flags it needs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../topology/load.ts';
import { UserError } from '../../util/errors.ts';
import { sleep } from '../../util/wait.ts';
import { cacheRoot, readVersions } from '../local/toolchain.ts';
import { HOST, PortAllocator } from '../local/ports.ts';
import { call, httpOk, type Tls } from './test-https.ts';
import {
  DISPOSABLE_EXTENSION,
  apiServerSans,
  issue,
  makePki,
  writeKubeconfig,
  type Pki,
} from './test-pki.ts';
import { DEFAULT_POD_CIDR, gatewayOf } from './test-node-config.ts';
import { kwokStagesForRealNode, localVolumeClasses } from './test-volumes.ts';

export { DISPOSABLE_EXTENSION };
import { isAlive, markedProcesses, startProcess, stopProcess, sweep, tail } from '../local/process.ts';

export interface TestCluster {
  name: string;
  dir: string;
  kubeconfig: string;
  context: string;
  server: string;
  /** The cluster CA (and its key): a real node joining the cluster gets its certificates from it. */
  pki: Pki;
  /** The admin client certificate (system:masters) the harness itself calls the API with. */
  admin: { cert: string; key: string };
  /** Set when it was started for a real node to join (TestClusterOptions.realNode). */
  realNode?: { podCidr?: string };
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Names the directory, the kubeconfig context (`firedrill-test-<name>`) and the process marker. */
  name?: string;
  /** KWOK nodes to create (default 4: 64 CPU, 256Gi, 110 pods each). */
  nodes?: number;
  /**
   * A real node (test-node.ts) will join: the API server's certificate also names the node's
   * bridge address, where pods reach it through the `kubernetes` Service (test-api-relay.ts), and
   * KWOK leaves claims of the local storage classes to the node's volume pools (test-volumes.ts).
   */
  realNode?: { podCidr?: string };
  log?: (m: string) => void;
}

/** Fake addresses KWOK hands out. Never contacted: nothing runs behind them. */
export const SERVICE_CIDR = '10.96.0.0/16';
export const POD_CIDR = '10.244.0.0/16';
export const NODE_CAPACITY = { cpu: '64', memory: '256Gi', pods: '110', 'ephemeral-storage': '1Ti' } as const;
/** Label and annotation every fake node carries (KWOK manages nodes with the annotation). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

const MARKER_PREFIX = 'firedrill-k8s-test:';
export const clusterMarker = (name: string) => `${MARKER_PREFIX}${name}`;
export const contextName = (name: string) => `firedrill-test-${name}`;
export const testClusterHome = () => join(process.env.FIREDRILL_HOME ?? '/var/tmp/firedrill', 'k8s');

export interface ControlPlaneBinaries {
  versions: { kubernetes: string; etcd: string; kwok: string };
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  etcd: string;
  kwok: string;
  kwokStages: string;
}

/** Where `install.sh --with k8s` puts the control plane (deploy/local/versions.env pins it). */
export function controlPlaneBinaries(): ControlPlaneBinaries {
  const v = readVersions();
  const kv = v.KUBERNETES_VERSION!.replace(/^v/, '');
  const ev = v.ETCD_VERSION!.replace(/^v/, '');
  const wv = v.KWOK_VERSION!.replace(/^v/, '');
  const k8sBin = join(cacheRoot(), `kubernetes-${kv}`, 'bin');
  return {
    versions: { kubernetes: v.KUBERNETES_VERSION!, etcd: v.ETCD_VERSION!, kwok: v.KWOK_VERSION! },
    kubeApiserver: join(k8sBin, 'kube-apiserver'),
    kubeControllerManager: join(k8sBin, 'kube-controller-manager'),
    kubeScheduler: join(k8sBin, 'kube-scheduler'),
    etcd: join(cacheRoot(), `etcd-${ev}`, 'bin', 'etcd'),
    kwok: join(cacheRoot(), `kwok-${wv}`, 'bin', 'kwok'),
    kwokStages: join(REPO_ROOT, 'deploy', 'local', 'kwok', 'stages.yaml'),
  };
}

export function missingControlPlane(): string[] {
  const b = controlPlaneBinaries();
  return [b.kubeApiserver, b.kubeControllerManager, b.kubeScheduler, b.etcd, b.kwok].filter(
    (f) => !existsSync(f),
  );
}

/** Refuses, naming the fix, when the control plane was not built on this machine. */
export function requireControlPlane(): ControlPlaneBinaries {
  const missing = missingControlPlane();
  if (missing.length) {
    throw new UserError(
      `the Kubernetes test control plane is not built (missing ${missing.join(', ')})`,
      'run `npx firedrill setup --with k8s` (builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK from the Go module proxy; about 20 minutes on a new, busy 2-core machine)',
    );
  }
  return controlPlaneBinaries();
}

// --- the cluster ----------------------------------------------------------------------------------

/** A process of the cluster exited: waiting on is pointless. */
export class Exited extends Error {}

/** Polls until check() holds; a failed check is retried, an Exited one ends the wait at once. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof Exited) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

interface Started {
  name: string;
  pid: number;
  log: string;
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const name = opts.name ?? 'default';
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name))
    throw new UserError(`test cluster name "${name}" is not a DNS label`);
  const nodeCount = opts.nodes ?? 4;
  const log = opts.log ?? (() => {});
  const bin = requireControlPlane();
  const marker = clusterMarker(name);
  const t0 = Date.now();

  // A cluster of the same name left over from a crashed run: end it, then start afresh.
  const leftover = await sweep(marker);
  if (leftover) log(`ended ${leftover} process(es) left over from an earlier cluster "${name}"`);
  const dir = join(testClusterHome(), name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });

  const ports = new PortAllocator();
  const etcdClient = await ports.allocate('etcd client');
  const etcdPeer = await ports.allocate('etcd peer');
  const apiPort = await ports.allocate('kube-apiserver');
  const kcmPort = await ports.allocate('kube-controller-manager');
  const schedPort = await ports.allocate('kube-scheduler');
  const server = `https://${HOST}:${apiPort}`;
  const context = contextName(name);

  const pki = makePki(join(dir, 'pki'));
  const apiCert = issue(
    pki,
    'apiserver',
    '/CN=kube-apiserver',
    true,
    apiServerSans(opts.realNode ? [gatewayOf(opts.realNode.podCidr ?? DEFAULT_POD_CIDR).ip] : []),
  );
  const admin = issue(pki, 'admin', '/O=system:masters/CN=firedrill-test-admin', false);
  const kcm = issue(pki, 'controller-manager', '/CN=system:kube-controller-manager', false);
  const sched = issue(pki, 'scheduler', '/CN=system:kube-scheduler', false);
  const kwokCert = issue(pki, 'kwok', '/O=system:masters/CN=kwok-controller', false);
  // For the API server's calls to a real kubelet (logs, exec, port-forward); the kubelet's webhook
  // authorizer asks the API server, where system:masters may do anything.
  const kubeletClient = issue(
    pki,
    'apiserver-kubelet-client',
    '/O=system:masters/CN=kube-apiserver-kubelet-client',
    false,
  );

  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { name: context, server, ca: pki.ca, ...admin, user: `${context}-admin` });
  const kcmKubeconfig = join(dir, 'controller-manager.kubeconfig');
  writeKubeconfig(kcmKubeconfig, {
    name: context,
    server,
    ca: pki.ca,
    ...kcm,
    user: 'system:kube-controller-manager',
  });
  const schedKubeconfig = join(dir, 'scheduler.kubeconfig');
  writeKubeconfig(schedKubeconfig, {
    name: context,
    server,
    ca: pki.ca,
    ...sched,
    user: 'system:kube-scheduler',
  });
  const kwokKubeconfig = join(dir, 'kwok.kubeconfig');
  writeKubeconfig(kwokKubeconfig, {
    name: context,
    server,
    ca: pki.ca,
    ...kwokCert,
    user: 'kwok-controller',
  });

  const tls: Tls = { ca: readFileSync(pki.ca), cert: readFileSync(admin.cert), key: readFileSync(admin.key) };
  const api = (method: string, path: string, body?: unknown) => call(apiPort, tls, method, path, body);

  const started: Started[] = [];
  const start = (proc: string, command: string, args: string[], env: Record<string, string> = {}) => {
    const logFile = join(dir, 'logs', `${proc}.log`);
    const rec = startProcess({ name: proc, command, args, env, cwd: dir, logFile }, marker);
    started.push({ name: proc, pid: rec.pid, log: logFile });
    return rec;
  };
  const alive = (proc: string) => {
    const s = started.find((p) => p.name === proc)!;
    if (!isAlive(s.pid)) throw new Exited(`${proc} exited`);
  };

  const stop = async () => {
    // Reverse start order: KWOK and the controllers before the API server, etcd last.
    for (const s of [...started].reverse()) await stopProcess(s.pid, 'SIGTERM', 5_000);
    await sweep(marker);
    const rest = markedProcesses(marker);
    if (rest.length) throw new Error(`test cluster ${name}: processes ${rest.join(', ')} survived stop()`);
    log(`test cluster ${name} stopped`);
  };

  try {
    // etcd: plain HTTP, but only on 127.0.0.1 (peer port too), one member.
    start('etcd', bin.etcd, [
      '--name=etcd0',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://${HOST}:${etcdClient}`,
      `--advertise-client-urls=http://${HOST}:${etcdClient}`,
      `--listen-peer-urls=http://${HOST}:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://${HOST}:${etcdPeer}`,
      `--initial-cluster=etcd0=http://${HOST}:${etcdPeer}`,
      '--initial-cluster-state=new',
      '--initial-cluster-token=firedrill-test',
      '--quota-backend-bytes=2147483648',
      '--log-level=warn',
      // Tests throw the data away: do not wait for the disk on every write.
      '--unsafe-no-fsync',
    ]);
    await until(
      'etcd',
      async () => {
        alive('etcd');
        return (await httpOk(etcdClient, '/health')).includes('"health":"true"');
      },
      60_000,
    );
    log(`etcd ${bin.versions.etcd} ready on ${HOST}:${etcdClient} (${Date.now() - t0} ms)`);

    start('kube-apiserver', bin.kubeApiserver, [
      `--etcd-servers=http://${HOST}:${etcdClient}`,
      `--bind-address=${HOST}`,
      `--advertise-address=${HOST}`,
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver')}`,
      `--tls-cert-file=${apiCert.cert}`,
      `--tls-private-key-file=${apiCert.key}`,
      `--client-ca-file=${pki.ca}`,
      '--authorization-mode=Node,RBAC',
      '--anonymous-auth=false',
      // On top of the defaults (NamespaceLifecycle, LimitRanger, ServiceAccount, DefaultStorageClass,
      // ResourceQuota, Priority, …, which stay on).
      '--enable-admission-plugins=NamespaceLifecycle,ResourceQuota,NodeRestriction',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      // 127.0.0.1 cannot be an Endpoints address: do not publish the `kubernetes` Service's
      // endpoints. A real node publishes its relay's address instead (test-api-relay.ts).
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      // A real node (test-node.ts) serves its kubelet on its InternalIP with a certificate from
      // this CA; KWOK nodes' fake addresses are never dialled (nothing asks for their logs).
      `--kubelet-client-certificate=${kubeletClient.cert}`,
      `--kubelet-client-key=${kubeletClient.key}`,
      `--kubelet-certificate-authority=${pki.ca}`,
      '--kubelet-preferred-address-types=InternalIP',
      '--profiling=false',
      '--v=0',
    ]);
    await until(
      'kube-apiserver /readyz',
      async () => {
        alive('kube-apiserver');
        const r = await api('GET', '/readyz');
        return r.status === 200 && r.text.trim() === 'ok';
      },
      180_000,
    );
    log(`kube-apiserver ${bin.versions.kubernetes} ready at ${server} (${Date.now() - t0} ms)`);

    start('kube-controller-manager', bin.kubeControllerManager, [
      `--kubeconfig=${kcmKubeconfig}`,
      `--authentication-kubeconfig=${kcmKubeconfig}`,
      `--authorization-kubeconfig=${kcmKubeconfig}`,
      `--bind-address=${HOST}`,
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, 'controller-manager')}`,
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.ca}`,
      '--use-service-account-credentials=true',
      `--cluster-signing-cert-file=${pki.ca}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // Every default controller: StatefulSet, Deployment, ReplicaSet, DaemonSet, HPA, garbage
      // collector, namespace, service account and token, PV binder, node lifecycle, quota, …
      '--controllers=*',
      '--leader-elect=false',
      '--kube-api-qps=100',
      '--kube-api-burst=200',
      '--profiling=false',
      '--v=0',
    ]);
    start('kube-scheduler', bin.kubeScheduler, [
      `--kubeconfig=${schedKubeconfig}`,
      `--authentication-kubeconfig=${schedKubeconfig}`,
      `--authorization-kubeconfig=${schedKubeconfig}`,
      `--bind-address=${HOST}`,
      `--secure-port=${schedPort}`,
      '--leader-elect=false',
      '--profiling=false',
      '--v=0',
    ]);

    // Fake nodes, created with their capacity in status (as a kubelet registers its node). KWOK
    // keeps their Ready condition and leases; pods get IPs from each node's podCIDR.
    for (let i = 0; i < nodeCount; i++) {
      const nodeName = `kwok-node-${i}`;
      const r = await api('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: nodeName,
          annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: {
            type: 'kwok',
            'kubernetes.io/hostname': nodeName,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'node-role.kubernetes.io/agent': '',
            'topology.kubernetes.io/region': 'firedrill-test',
            'topology.kubernetes.io/zone': `firedrill-test-${String.fromCharCode(97 + (i % 3))}`,
          },
        },
        spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
        status: {
          capacity: NODE_CAPACITY,
          allocatable: NODE_CAPACITY,
          addresses: [
            { type: 'InternalIP', address: `10.240.0.${i + 10}` },
            { type: 'Hostname', address: nodeName },
          ],
        },
      });
      if (r.status !== 201) throw new Error(`creating node ${nodeName}: HTTP ${r.status} ${r.text}`);
    }

    let stages = bin.kwokStages;
    if (opts.realNode) {
      stages = join(dir, 'kwok-stages.yaml');
      writeFileSync(
        stages,
        kwokStagesForRealNode(readFileSync(bin.kwokStages, 'utf8'), localVolumeClasses()),
      );
    }
    start(
      'kwok',
      bin.kwok,
      [
        `--kubeconfig=${kwokKubeconfig}`,
        `--config=${stages}`,
        `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
        `--cidr=${POD_CIDR}`,
        '--node-lease-duration-seconds=40',
      ],
      {
        // KWOK also reads ~/.kwok/kwok.yaml when it exists: keep it to this cluster's files.
        HOME: join(dir, 'kwok'),
        KWOK_WORKDIR: join(dir, 'kwok'),
      },
    );

    await until(
      'kube-controller-manager and kube-scheduler /healthz',
      async () => {
        alive('kube-controller-manager');
        alive('kube-scheduler');
        const [a, b] = await Promise.all([
          call(kcmPort, undefined, 'GET', '/healthz'),
          call(schedPort, undefined, 'GET', '/healthz'),
        ]);
        return a.status === 200 && b.status === 200;
      },
      120_000,
    );
    // The service-account controllers work (pods need their namespace's "default" account).
    await until(
      'the default service account',
      async () => {
        alive('kube-controller-manager');
        return (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200;
      },
      120_000,
    );
    await until(
      `${nodeCount} Ready KWOK node(s)`,
      async () => {
        alive('kwok');
        const r = await api('GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
        if (r.status !== 200) return false;
        const nodes = (
          JSON.parse(r.text) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }
        ).items;
        const ready = nodes.filter((n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length === nodeCount;
      },
      120_000,
    );
    log(
      `test cluster ${name} ready: ${nodeCount} node(s), context ${context}, kubeconfig ${kubeconfig} (${Date.now() - t0} ms)`,
    );
  } catch (err) {
    const logs = started.map((s) => `--- ${s.name} (${s.log})\n${tail(s.log, 10)}`).join('\n');
    await stop().catch(() => {});
    throw new Error(`test cluster ${name} did not start: ${(err as Error).message}\n${logs}`);
  }

  let stopped = false;
  return {
    name,
    dir,
    kubeconfig,
    context,
    server,
    pki,
    admin,
    realNode: opts.realNode,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stop();
    },
  };
}

/** Every live process of the named test cluster (for tests that check listeners or leftovers). */
export function testClusterPids(name: string): number[] {
  return markedProcesses(clusterMarker(name));
}

/** TCP listeners of the named cluster's processes, as `ss -ltnp` shows them: "addr:port pid". */
export function testClusterListeners(
  name: string,
): { address: string; port: number; pid: number; process: string }[] {
  const pids = new Set(testClusterPids(name));
  const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  const rows: { address: string; port: number; pid: number; process: string }[] = [];
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 6) continue;
    const local = cols[3]!;
    const sep = local.lastIndexOf(':');
    for (const m of line.matchAll(/\("([^"]+)",pid=(\d+),fd=\d+\)/g)) {
      if (pids.has(Number(m[2])))
        rows.push({
          address: local.slice(0, sep),
          port: Number(local.slice(sep + 1)),
          pid: Number(m[2]),
          process: m[1]!,
        });
    }
  }
  return rows;
}
