// A real Kubernetes node joined to the test control plane (test-cluster.ts), beside its KWOK
// nodes: containerd v2 with runc and the CNI bridge plugin, the kubelet and kube-proxy (nftables
// mode), all built or installed by `firedrill setup --with k8s`, with images imported from the
// archives setup built (deploy/images): nothing is downloaded here.
//
// Every address is this machine's: the node IP is the address of a bridge firedrill creates (never
// the outside interface's), pods live on that bridge, and a forward filter drops whatever a pod
// sends off the bridge and whatever would be forwarded onto it. The kubelet and the API relay
// listen on the bridge address (the API server dials the kubelet there), everything else on
// 127.0.0.1.
//
// What pods need besides runs with the node: a relay that lets them reach the API server through
// the `kubernetes` Service (test-api-relay.ts), the cluster DNS (test-dns.ts) and volumes for the
// no-provisioner storage classes (test-volumes.ts).
//
// The host is recorded before anything changes (host-state.ts) and put back by stop()
// (test-node-teardown.ts), which returns what still differs, so a test can demand nothing does.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.ts';
import { cacheRoot, readVersions } from '../local/toolchain.ts';
import { PortAllocator } from '../local/ports.ts';
import { isAlive, markedProcesses, startProcess, stopProcess, tail } from '../local/process.ts';
import { readHostState, type HostState, type HostStateDiff } from './host-state.ts';
import { requireNodeImage, type NodeImage } from './node-images.ts';
import { Exited, SERVICE_CIDR, testClusterHome, until, type TestCluster } from './test-cluster.ts';
import { call, createIfAbsent, putObject, type Tls } from './test-https.ts';
import { API_RELAY_SOURCE, apiEndpointSlice } from './test-api-relay.ts';
import {
  CLUSTER_DNS_IP,
  CLUSTER_DOMAIN,
  DNS_NAMESPACE,
  clusterDnsObjects,
  clusterIpHolder,
  collectionPath,
  type ServiceList,
} from './test-dns.ts';
import {
  DEFAULT_POD_CIDR,
  addressHolder,
  gatewayOf,
  containerdConfig,
  cniConfig,
  forwardFilter,
  forwardFilterTable,
  kubeProxyConfig,
  kubeletConfig,
  nodePaths,
  type NodeLayout,
} from './test-node-config.ts';
import { restoreHost } from './test-node-teardown.ts';
import { localVolumeClasses, storageClassObjects, volumePool } from './test-volumes.ts';
import { issue, writeKubeconfig } from './test-pki.ts';

export { REAL_NODE_LABEL, REAL_NODE_TAINT, gatewayOf, realNodePlacement } from './test-node-config.ts';

export interface TestNodeOptions {
  /** Node name (default `<cluster>-node`); names its folder and its process marker. */
  name?: string;
  /** Bridge to create (at most 15 characters; default fdnode0). */
  bridge?: string;
  /** Pod range on the bridge (default 10.245.0.0/24); its first address is the node IP. */
  podCidr?: string;
  /** Pool volumes per local storage class on the real node (default 16) and per KWOK node (8). */
  volumesPerClass?: { real: number; kwok: number };
  /** Images to import besides pause and coredns (default: redis), by their deploy/images name. */
  images?: string[];
  log?: (m: string) => void;
}

export interface TestNode {
  name: string;
  nodeIp: string;
  podCidr: string;
  bridge: string;
  dir: string;
  /** Image references by deploy/images name (pause included). */
  images: Record<string, string>;
  /** The host as it was before the node started. */
  hostBefore: HostState;
  /** Resident memory (MiB) of the node's processes, summed by command name. */
  rssMiB(): Record<string, number>;
  /** Stops the node and puts the host back; returns what still differs from before (ideally nothing). */
  stop(): Promise<HostStateDiff>;
}

export interface NodeBinaries {
  kubelet: string;
  kubeProxy: string;
  containerd: string;
  ctr: string;
  containerdBin: string;
  runc: string;
  cniBinDir: string;
}

/** Where `install.sh --with k8s` puts the node (deploy/local/versions.env pins it). */
export function nodeBinaries(): NodeBinaries {
  const v = readVersions();
  const kv = v.KUBERNETES_VERSION!.replace(/^v/, '');
  const cv = (v.CONTAINERD_VERSION ?? 'v0').replace(/^v/, '');
  const k8sBin = join(cacheRoot(), `kubernetes-node-${kv}`, 'bin');
  const containerdBin = join(cacheRoot(), `containerd-${cv}`, 'bin');
  return {
    kubelet: join(k8sBin, 'kubelet'),
    kubeProxy: join(k8sBin, 'kube-proxy'),
    containerd: join(containerdBin, 'containerd'),
    ctr: join(containerdBin, 'ctr'),
    containerdBin,
    runc: '/usr/sbin/runc',
    cniBinDir: '/usr/lib/cni',
  };
}

/** Refuses, naming the fix, when the node cannot run here. */
export function requireNode(): NodeBinaries {
  const b = nodeBinaries();
  const files = [
    b.kubelet,
    b.kubeProxy,
    b.containerd,
    b.ctr,
    join(b.containerdBin, 'containerd-shim-runc-v2'),
    b.runc,
  ];
  const missing = [
    ...files,
    join(b.cniBinDir, 'bridge'),
    join(b.cniBinDir, 'host-local'),
    join(b.cniBinDir, 'loopback'),
  ].filter((f) => !existsSync(f));
  for (const tool of ['nft', 'iptables-save', 'ip'])
    if (!['/usr/sbin', '/usr/bin', '/sbin'].some((d) => existsSync(join(d, tool)))) missing.push(tool);
  if (missing.length)
    throw new UserError(
      `the real test node is not installed (missing ${missing.join(', ')})`,
      'run `npx firedrill setup --with k8s` (builds kubelet, kube-proxy and containerd, installs runc, the CNI plugins and nftables from Debian, and builds the node images)',
    );
  // containerd 2.4 always reads the host's drop-in folder (an empty `imports` does not stop it).
  const dropIns = '/etc/containerd/conf.d';
  if (existsSync(dropIns) && readdirSync(dropIns).some((f) => f.endsWith('.toml')))
    throw new UserError(
      `${dropIns} holds containerd settings that would apply to the test node too`,
      'move them aside while the test node runs, or run the tests on a machine without a system containerd',
    );
  if (process.getuid?.() !== 0)
    throw new UserError(
      'a real test node needs root (it creates a bridge, cgroups and mounts)',
      'run the tests as root, or use the KWOK nodes only',
    );
  return b;
}

const MARKER_PREFIX = 'firedrill-k8s-node:';
export const nodeMarker = (name: string) => `${MARKER_PREFIX}${name}`;
export const testNodeHome = () => join(testClusterHome(), '..', 'k8s-nodes');

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The interface alias a node's bridge carries. */
const bridgeMarker = (name: string) => `firedrill-node:${name}`;

function bridgeAlias(bridge: string): string | undefined {
  try {
    const out = sh('ip', ['-j', 'link', 'show', 'dev', bridge]);
    return (JSON.parse(out) as { ifalias?: string }[])[0]?.ifalias;
  } catch {
    return undefined; // no such interface
  }
}

function ipv4Range(cidr: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(cidr);
  if (!m) return undefined;
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const size = 2 ** (32 - bits);
  const start = n - (n % size);
  return [start, start + size - 1];
}

/**
 * Routes of the host (as `ip route show table all` prints them) whose destination overlaps one of
 * `ranges`: the node's bridge would capture that traffic. The default route and the local table's
 * broadcast/local entries for other addresses do not count.
 */
export function overlappingRoutes(routes: string[], ranges: string[]): string[] {
  const wanted = ranges.map(ipv4Range).filter((r): r is [number, number] => !!r);
  return routes.filter((route) => {
    const words = route.split(/\s+/);
    const dest = ['local', 'broadcast', 'unicast', 'blackhole', 'unreachable', 'prohibit'].includes(words[0]!)
      ? words[1]
      : words[0];
    const r = dest ? ipv4Range(dest) : undefined;
    return !!r && wanted.some(([a, b]) => r[0] <= b && a <= r[1]);
  });
}

export async function startTestNode(cluster: TestCluster, opts: TestNodeOptions = {}): Promise<TestNode> {
  const name = opts.name ?? `${cluster.name}-node`;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name))
    throw new UserError(`node name "${name}" is not a DNS label`);
  const bridge = opts.bridge ?? 'fdnode0';
  if (!/^[a-z][a-z0-9-]{0,14}$/.test(bridge))
    throw new UserError(`bridge name "${bridge}" is not a 1-15 character interface name`);
  // Without it KWOK binds the local storage classes' claims to placeholder hostPath volumes, which
  // a real kubelet would then create on this machine (root-owned folders outside the node's own).
  if (!cluster.realNode)
    throw new UserError(
      `cluster ${cluster.name} was not started for a real node to join`,
      'start it with startTestCluster({ realNode: {} }) (firedrill cluster up does)',
    );
  const podCidr = opts.podCidr ?? cluster.realNode.podCidr ?? DEFAULT_POD_CIDR;
  const { ip: nodeIp, prefix } = gatewayOf(podCidr);
  const log = opts.log ?? (() => {});
  const bin = requireNode();
  const images: NodeImage[] = [...new Set(['pause', 'coredns', ...(opts.images ?? ['redis'])])].map(
    requireNodeImage,
  );
  const marker = nodeMarker(name);
  const dir = join(testNodeHome(), name);
  const paths = nodePaths(dir);
  const t0 = Date.now();
  const teardown = (before: HostState) =>
    restoreHost({ dir, bridge, marker, forwardTable: forwardFilterTable({ name }), before, log });

  // A node of the same name left over from a crashed run: put the host back from its record first.
  const leftover = await stopLeftoverNode(name, log);
  if (leftover)
    log(
      `cleaned up a node "${name}" left over from an earlier run${leftover.lines.length ? ` (still differs: ${leftover.lines.join('; ')})` : ''}`,
    );
  const apiPort = Number(new URL(cluster.server).port);
  const tls: Tls = {
    ca: readFileSync(cluster.pki.ca),
    cert: readFileSync(cluster.admin.cert),
    key: readFileSync(cluster.admin.key),
  };
  const api = (method: string, path: string, body?: unknown) => call(apiPort, tls, method, path, body);

  // A bridge firedrill made (its alias says so) whose node record is gone: ours, so remove it.
  if (bridgeAlias(bridge) === bridgeMarker(name)) {
    sh('ip', ['link', 'delete', bridge]);
    log(`deleted bridge ${bridge}, left over by an earlier node "${name}" without its record`);
  }
  const before = readHostState();
  if (before.links.includes(bridge))
    throw new UserError(
      `interface ${bridge} already exists and is not a firedrill node's`,
      `delete it (ip link delete ${bridge}) or give the node another bridge`,
    );
  const holder = addressHolder(before.addresses, nodeIp);
  if (holder)
    throw new UserError(
      `the node's bridge address ${nodeIp} is already an address of interface ${holder}`,
      `remove it (ip addr del ${nodeIp} dev ${holder}), or give the node another pod range (podCidr)`,
    );
  const taken = overlappingRoutes(before.routes, [podCidr, SERVICE_CIDR]);
  if (taken.length)
    throw new UserError(
      `the node's ranges (pods ${podCidr}, services ${SERVICE_CIDR}) overlap routes of this machine: ${taken.join('; ')}`,
      'give the node another pod range (podCidr), or start it on a machine without those networks',
    );
  const services = await api('GET', '/api/v1/services');
  if (services.status !== 200) throw new Error(`listing services: HTTP ${services.status} ${services.text}`);
  const dnsTaken = clusterIpHolder(JSON.parse(services.text) as ServiceList, CLUSTER_DNS_IP);
  if (dnsTaken)
    throw new UserError(
      `the cluster DNS address ${CLUSTER_DNS_IP} is already the ClusterIP of Service ${dnsTaken}`,
      `delete that Service (or give it another ClusterIP): the node's DNS needs ${CLUSTER_DNS_IP}, which its kubelet writes into every pod`,
    );
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(paths.hostBefore, JSON.stringify(before));
  const record: NodeRecord = { name, bridge, forwardTable: forwardFilterTable({ name }), nodeIp, podCidr };
  writeFileSync(join(dir, 'node.json'), JSON.stringify(record));

  const started: { name: string; pid: number; log: string }[] = [];
  const env = { PATH: `${bin.containerdBin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` };
  const start = (proc: string, command: string, args: string[], extraEnv: Record<string, string> = {}) => {
    const logFile = join(dir, 'logs', `${proc}.log`);
    const rec = startProcess(
      { name: proc, command, args, env: { ...env, ...extraEnv }, cwd: dir, logFile },
      marker,
    );
    started.push({ name: proc, pid: rec.pid, log: logFile });
  };
  const alive = (proc: string) => {
    const s = started.find((p) => p.name === proc)!;
    if (!isAlive(s.pid)) throw new Exited(`${proc} exited`);
  };
  const ctr = (...args: string[]) =>
    sh(bin.ctr, ['--address', paths.containerdSocket, '-n', 'k8s.io', ...args]);

  const stop = async (): Promise<HostStateDiff> => {
    const t1 = Date.now();
    // Let the kubelet tear its pods down (CNI DEL, sandbox netns and mounts): no new pod may land,
    // the node's pods are deleted, and the runtime is waited on until no task runs.
    if (started.some((s) => s.name === 'kubelet' && isAlive(s.pid))) {
      await api('PATCH', `/api/v1/nodes/${name}`, { spec: { unschedulable: true } }).catch(() => undefined);
      await drainPods(api, name).catch((err: Error) => log(`draining ${name}: ${err.message}`));
      await until(
        'no running containers',
        async () => ctr('tasks', 'ls', '-q').trim() === '',
        60_000,
        250,
      ).catch((err: Error) => log(`${err.message}; killing what is left`));
    }
    for (const s of [...started].reverse()) await stopProcess(s.pid, 'SIGTERM', 10_000);
    await api('DELETE', `/api/v1/nodes/${name}`).catch(() => undefined);
    // The node's cluster DNS goes with it (a Deployment left behind would wait for a node).
    for (const obj of clusterDnsObjects('', CLUSTER_DOMAIN).reverse())
      await api('DELETE', `${collectionPath(obj)}/${obj.metadata.name}`).catch(() => undefined);
    // The relay is gone: the `kubernetes` Service has no endpoint any more (as before the node).
    await api('DELETE', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes').catch(
      () => undefined,
    );
    const diff = await teardown(before);
    log(
      `node ${name} stopped in ${Date.now() - t1} ms${diff.lines.length ? `; host still differs: ${diff.lines.join('; ')}` : '; host as before'}`,
    );
    return diff;
  };

  const layout: NodeLayout = {
    name,
    dir,
    bridge,
    nodeIp,
    podCidr,
    serviceCidr: SERVICE_CIDR,
    clusterDnsIp: CLUSTER_DNS_IP,
    clusterDomain: CLUSTER_DOMAIN,
    ca: cluster.pki.ca,
    kubeletCert: issue(
      cluster.pki,
      `kubelet-${name}`,
      `/O=system:nodes/CN=system:node:${name}`,
      true,
      `IP:${nodeIp},DNS:${name}`,
    ),
    kubeletPort: 0,
    kubeletHealthzPort: 0,
    proxyHealthzPort: 0,
    proxyMetricsPort: 0,
    pauseRef: images[0]!.ref,
    containerdBin: bin.containerd,
    runc: bin.runc,
    cniBinDir: bin.cniBinDir,
  };
  try {
    const ports = new PortAllocator();
    layout.kubeletPort = await ports.allocate('kubelet');
    layout.kubeletHealthzPort = await ports.allocate('kubelet healthz');
    layout.proxyHealthzPort = await ports.allocate('kube-proxy healthz');
    layout.proxyMetricsPort = await ports.allocate('kube-proxy metrics');

    // The bridge first: the kubelet serves on its address, and the CNI plugin adopts it.
    sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
    // Says whose bridge it is, should a crash also lose the node's record.
    sh('ip', ['link', 'set', bridge, 'alias', bridgeMarker(name)]);
    sh('ip', ['addr', 'add', `${nodeIp}/${prefix}`, 'dev', bridge]);
    sh('ip', ['link', 'set', bridge, 'up']);
    // ClusterIPs are reached over the bridge from the node address, never via the default route.
    sh('ip', ['route', 'add', SERVICE_CIDR, 'dev', bridge, 'src', nodeIp]);
    writeFileSync(paths.nftFilter, forwardFilter(layout));
    sh('nft', ['-f', paths.nftFilter]);

    mkdirSync(paths.cniConfDir, { recursive: true });
    writeFileSync(
      join(paths.cniConfDir, '10-firedrill.conflist'),
      JSON.stringify(cniConfig(layout), null, 2),
    );
    writeFileSync(paths.containerdConfig, containerdConfig(layout));
    writeFileSync(paths.kubeletConfig, JSON.stringify(kubeletConfig(layout), null, 2));
    writeFileSync(paths.proxyConfig, JSON.stringify(kubeProxyConfig(layout), null, 2));
    const kubeletClient = issue(
      cluster.pki,
      `kubelet-client-${name}`,
      `/O=system:nodes/CN=system:node:${name}`,
      false,
    );
    writeKubeconfig(paths.kubeletKubeconfig, {
      name: cluster.context,
      server: cluster.server,
      ca: cluster.pki.ca,
      ...kubeletClient,
      user: `system:node:${name}`,
    });
    const proxyClient = issue(cluster.pki, `kube-proxy-${name}`, '/CN=system:kube-proxy', false);
    writeKubeconfig(paths.proxyKubeconfig, {
      name: cluster.context,
      server: cluster.server,
      ca: cluster.pki.ca,
      ...proxyClient,
      user: 'system:kube-proxy',
    });

    start('containerd', bin.containerd, ['--config', paths.containerdConfig]);
    await until(
      'containerd',
      async () => {
        alive('containerd');
        ctr('version');
        return true;
      },
      60_000,
    );
    for (const image of images) {
      const base = image.ref.slice(0, image.ref.lastIndexOf(':'));
      ctr('images', 'import', '--base-name', base, image.archive);
      if (!ctr('images', 'ls', '-q').split('\n').includes(image.ref))
        throw new Error(`importing ${image.archive} did not make image ${image.ref}`);
    }
    log(`containerd ready with ${images.map((i) => i.ref).join(', ')} (${Date.now() - t0} ms)`);

    // Pods reach the API server through the `kubernetes` Service: a relay on the bridge address,
    // published as the Service's endpoint (test-api-relay.ts).
    start('api-relay', process.execPath, ['-e', API_RELAY_SOURCE, nodeIp, String(apiPort), String(apiPort)], {
      NODE_OPTIONS: '--max-old-space-size=32',
    });
    await until(
      `the API relay on ${nodeIp}:${apiPort}`,
      async () => {
        alive('api-relay');
        return (await call(apiPort, tls, 'GET', '/readyz', undefined, nodeIp)).status === 200;
      },
      30_000,
    );
    await putObject(
      api,
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
      'kubernetes',
      apiEndpointSlice(nodeIp, apiPort),
    );

    start('kubelet', bin.kubelet, [
      `--config=${paths.kubeletConfig}`,
      `--kubeconfig=${paths.kubeletKubeconfig}`,
      `--hostname-override=${name}`,
      `--node-ip=${nodeIp}`,
      `--root-dir=${paths.kubeletRoot}`,
      `--cert-dir=${join(paths.kubeletRoot, 'pki')}`,
      `--node-labels=firedrill.io/node=real`,
      '--v=0',
    ]);
    start('kube-proxy', bin.kubeProxy, [`--config=${paths.proxyConfig}`, '--v=0']);
    await until(
      `node ${name} Ready`,
      async () => {
        alive('kubelet');
        alive('kube-proxy');
        const r = await api('GET', `/api/v1/nodes/${name}`);
        if (r.status !== 200) return false;
        const node = JSON.parse(r.text) as { status?: { conditions?: { type: string; status: string }[] } };
        return !!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      },
      180_000,
    );
    log(`node ${name} Ready at ${nodeIp} (pods ${podCidr} on ${bridge}) in ${Date.now() - t0} ms`);

    // Volumes for the no-provisioner storage classes, here and on every KWOK node (test-volumes.ts).
    const classes = localVolumeClasses();
    const perClass = opts.volumesPerClass ?? { real: 16, kwok: 8 };
    const kwokNodes = (
      JSON.parse((await api('GET', '/api/v1/nodes?labelSelector=type%3Dkwok')).text) as {
        items: { metadata: { name: string } }[];
      }
    ).items.map((n) => n.metadata.name);
    const pools = [
      ...volumePool({ node: name, nodeDir: dir, classes, perClass: perClass.real }),
      ...kwokNodes.flatMap((n) => volumePool({ node: n, classes, perClass: perClass.kwok, fake: true })),
    ];
    for (const sc of storageClassObjects())
      await createIfAbsent(api, '/apis/storage.k8s.io/v1/storageclasses', sc);
    for (const pv of pools) {
      if (!pv.spec.local.path.startsWith('/nonexistent/')) mkdirSync(pv.spec.local.path, { recursive: true });
      await createIfAbsent(api, '/api/v1/persistentvolumes', pv);
    }
    log(`${pools.length} pool volume(s) for storage classes ${classes.join(', ')} (${Date.now() - t0} ms)`);

    const tDns = Date.now();
    const coredns = images.find((i) => i.name === 'coredns')!.ref;
    for (const obj of clusterDnsObjects(coredns, CLUSTER_DOMAIN))
      await putObject(api, collectionPath(obj), obj.metadata.name, obj);
    await until(
      'the cluster DNS (CoreDNS) Ready',
      async () => {
        alive('kubelet');
        const r = await api(
          'GET',
          `/api/v1/namespaces/${DNS_NAMESPACE}/pods?labelSelector=k8s-app%3Dkube-dns`,
        );
        const pods = (JSON.parse(r.text) as { items: PodStatusView[] }).items;
        // Started by this node's runtime: a leftover node's pod may still carry a stale Ready.
        const since = Math.floor(t0 / 1000) * 1000;
        return pods.some(
          (p) =>
            p.spec?.nodeName === name &&
            Date.parse(p.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? '') >= since &&
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
      },
      120_000,
    );
    log(`cluster DNS ${CLUSTER_DNS_IP} Ready ${Date.now() - tDns} ms after the node (${Date.now() - t0} ms)`);
  } catch (err) {
    const logs = started.map((s) => `--- ${s.name} (${s.log})\n${tail(s.log, 10)}`).join('\n');
    await stop().catch((e: Error) => log(`teardown after the failed start: ${e.message}`));
    throw new Error(`test node ${name} did not start: ${(err as Error).message}\n${logs}`);
  }

  let stopped: Promise<HostStateDiff> | undefined;
  return {
    name,
    nodeIp,
    podCidr,
    bridge,
    dir,
    images: Object.fromEntries(images.map((i) => [i.name, i.ref])),
    hostBefore: before,
    rssMiB: () => rssByCommand(markedProcesses(marker)),
    stop: () => (stopped ??= stop()),
  };
}

interface PodStatusView {
  spec?: { nodeName?: string };
  status?: {
    conditions?: { type: string; status: string }[];
    containerStatuses?: { state?: { running?: { startedAt?: string } } }[];
  };
}

/** What another process needs to stop the node: written beside the host record at start. */
interface NodeRecord {
  name: string;
  bridge: string;
  forwardTable: string;
  nodeIp: string;
  podCidr: string;
}

function readRecord(name: string): { record: NodeRecord; before: HostState } | undefined {
  const dir = join(testNodeHome(), name);
  const paths = nodePaths(dir);
  if (!existsSync(paths.hostBefore) || !existsSync(join(dir, 'node.json'))) return undefined;
  return {
    record: JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as NodeRecord,
    before: JSON.parse(readFileSync(paths.hostBefore, 'utf8')) as HostState,
  };
}

/**
 * Stops a node started by another (possibly crashed) process, from the record it left, and puts
 * the host back; undefined when there is no such node. Its pods are not drained first: killing
 * the runtime and unmounting its namespaces is enough here (the e2e test proves the host is clean).
 */
export async function stopLeftoverNode(
  name: string,
  log: (m: string) => void = () => {},
): Promise<HostStateDiff | undefined> {
  const marker = nodeMarker(name);
  const saved = readRecord(name);
  if (!saved) {
    if (markedProcesses(marker).length)
      throw new UserError(
        `processes of a node "${name}" are running but its record in ${join(testNodeHome(), name)} is gone`,
        `end them (their environment carries FIREDRILL_SANDBOX=${marker}) and retry`,
      );
    return undefined;
  }
  const dir = join(testNodeHome(), name);
  const { record, before } = saved;
  return restoreHost({ dir, bridge: record.bridge, marker, forwardTable: record.forwardTable, before, log });
}

/** A node's state as another process sees it: its record and its live processes. */
export function testNodeStatus(name: string): {
  recorded: boolean;
  nodeIp?: string;
  bridge?: string;
  processes: Record<string, number>;
} {
  const saved = readRecord(name);
  return {
    recorded: !!saved,
    ...(saved ? { nodeIp: saved.record.nodeIp, bridge: saved.record.bridge } : {}),
    processes: rssByCommand(markedProcesses(nodeMarker(name))),
  };
}

/** Deletes every pod bound to the node (grace 0: the kubelet still stops each one). */
async function drainPods(
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; text: string }>,
  node: string,
): Promise<void> {
  const r = await api('GET', `/api/v1/pods?fieldSelector=spec.nodeName%3D${encodeURIComponent(node)}`);
  if (r.status !== 200) throw new Error(`listing pods: HTTP ${r.status}`);
  const pods = (JSON.parse(r.text) as { items: { metadata: { name: string; namespace: string } }[] }).items;
  for (const p of pods)
    await api(
      'DELETE',
      `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}?gracePeriodSeconds=0`,
    );
}

export function rssByCommand(pids: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const comm = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? String(pid);
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      out[comm] = Math.round(((out[comm] ?? 0) + kb / 1024) * 10) / 10;
    } catch {
      /* exited */
    }
  }
  return out;
}
