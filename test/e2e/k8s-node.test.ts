// A real node beside the KWOK ones: containerd + runc + CNI bridge + kubelet + kube-proxy joined
// to the test control plane. The node goes Ready on the bridge address firedrill made, a Redis
// StatefulSet from the image setup built without a registry (imagePullPolicy: Never) becomes
// Ready and answers PING from the host through its pod IP and its ClusterIP, a deleted pod comes
// back and serves, a pod's traffic towards the outside is dropped, placeholder workloads still run
// on KWOK, and after stop() the host is exactly as it was before the cluster started. Inside pods:
// the API server answers through the `kubernetes` Service to the pod's ServiceAccount token, the
// cluster DNS resolves Service and StatefulSet pod names (and nothing outside cluster.local), and
// a fast-ssd claim binds a volume on the node that a non-root pod writes and a later pod reads.
import { Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/platform/kubernetes/test-cluster.ts';
import {
  REAL_NODE_TAINT,
  nodeMarker,
  realNodePlacement,
  startTestNode,
  type TestNode,
} from '../../src/platform/kubernetes/test-node.ts';
import { diffHostState, readHostState, type HostState } from '../../src/platform/kubernetes/host-state.ts';
import { markedProcesses } from '../../src/platform/local/process.ts';
import { eventually as poll, podReady } from './k8s-wait.ts';

const NAME = 'e2e-k8s-node';
const NS = 'firedrill-node';
const say = (m: string) => console.log(`[k8s-node] ${m}`);

const ready = podReady;
const eventually = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000) =>
  poll(what, check, timeoutMs, 100);

/** One Redis inline command over TCP from this process (the host), e.g. PING -> "+PONG". */
function redis(host: string, port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = new Socket();
    let buf = '';
    s.setTimeout(3_000, () => s.destroy(new Error(`redis ${host}:${port}: timed out`)));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        s.end();
        resolve(buf.split('\r\n')[0]!);
      }
    });
    s.on('error', reject);
    s.connect(port, host, () => s.write(`${command}\r\n`));
  });
}

/** Packets the node's forward filter dropped (pods towards anything off the bridge). */
function droppedOutbound(table: string): number {
  const out = execFileSync('nft', ['list', 'table', 'inet', table], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.includes('pods get no route off this machine')) ?? '';
  return Number(/packets (\d+)/.exec(line)?.[1] ?? NaN);
}

/** A one-shot pod on the real node running `script` in the toolbox image; its phase and log. */
async function runPod(
  core: k8s.CoreV1Api,
  node: TestNode,
  name: string,
  script: string,
  spec: Partial<k8s.V1PodSpec> = {},
): Promise<{ phase: string; log: string }> {
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name },
      spec: {
        ...realNodePlacement(),
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        containers: [
          { name, image: node.images.toolbox!, imagePullPolicy: 'Never', command: ['bash', '-c', script] },
        ],
        ...spec,
      },
    },
  });
  const done = await eventually(`pod ${name} to finish`, async () => {
    const p = await core.readNamespacedPod({ name, namespace: NS });
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
  });
  const log = String(await core.readNamespacedPodLog({ name, namespace: NS }));
  say(`${name}: ${done.status!.phase}\n${log.trim()}`);
  return { phase: done.status!.phase!, log };
}

/** A one-replica Redis StatefulSet on the real node, from the locally built image. */
function redisOnRealNode(
  image: string,
  name: string,
  args: string[],
  extra: Partial<k8s.V1Container> = {},
): k8s.V1StatefulSet {
  return {
    metadata: { name },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...realNodePlacement(),
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'redis',
              image,
              imagePullPolicy: 'Never',
              args: ['--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', ...args],
              readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 1 },
              ...extra,
            },
          ],
        },
      },
    },
  };
}

describe('a real Kubernetes node beside KWOK', () => {
  let hostBefore: HostState;
  let cluster: TestCluster;
  let node: TestNode;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  const kubeconfig = () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    return kc;
  };

  beforeAll(async () => {
    hostBefore = readHostState();
    cluster = await startTestCluster({ name: NAME, nodes: 2, realNode: {}, log: (m) => say(m) });
    const t0 = Date.now();
    node = await startTestNode(cluster, { images: ['redis', 'toolbox'], log: (m) => say(m) });
    say(`node up in ${Date.now() - t0} ms`);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });

  afterAll(async () => {
    await node?.stop();
    await cluster?.stop();
  });

  it('registers a Ready node on the bridge address, tainted, beside Ready KWOK nodes', async () => {
    const n = await core.readNode({ name: node.name });
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const internal = n.status?.addresses?.filter((a) => a.type === 'InternalIP').map((a) => a.address);
    expect(internal).toEqual([node.nodeIp]);
    // The node IP is on firedrill's bridge, not an address the machine had before.
    expect(execFileSync('ip', ['-o', 'addr', 'show', 'dev', node.bridge], { encoding: 'utf8' })).toContain(
      `inet ${node.nodeIp}/`,
    );
    expect(hostBefore.addresses.some((a) => a.includes(` ${node.nodeIp}/`))).toBe(false);
    expect(n.spec?.taints).toContainEqual(
      expect.objectContaining({ key: REAL_NODE_TAINT.key, effect: 'NoSchedule' }),
    );
    expect(n.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/2\./);
    const kwok = await core.listNode({ labelSelector: 'type=kwok' });
    expect(kwok.items.map((k) => k.status?.conditions?.find((c) => c.type === 'Ready')?.status)).toEqual([
      'True',
      'True',
    ]);
  });

  it('refuses a bridge address another interface has, naming it, after removing a bridge of its own left without a record', async () => {
    const sh = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
    // A bridge a crashed node made (its alias says whose) and an address someone else holds.
    sh('link', 'add', 'fdnode9', 'type', 'bridge');
    sh('link', 'set', 'fdnode9', 'alias', 'firedrill-node:taken');
    sh('link', 'add', 'fdtaken0', 'type', 'bridge');
    sh('addr', 'add', '10.245.9.1/32', 'dev', 'fdtaken0');
    const logs: string[] = [];
    try {
      await expect(
        startTestNode(cluster, {
          name: 'taken',
          bridge: 'fdnode9',
          podCidr: '10.245.9.0/24',
          log: (m) => logs.push(m),
        }),
      ).rejects.toThrow(/bridge address 10\.245\.9\.1 is already an address of interface fdtaken0/);
      expect(logs.join('\n')).toContain('deleted bridge fdnode9, left over by an earlier node "taken"');
      expect(sh('-o', 'link', 'show')).not.toContain('fdnode9');
    } finally {
      for (const link of ['fdtaken0', 'fdnode9'])
        if (sh('-o', 'link', 'show').includes(`: ${link}:`)) sh('link', 'delete', link);
    }
  });

  it('runs a Redis StatefulSet from the locally built image; it serves through its pod IP and ClusterIP and comes back when deleted', async () => {
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: 'redis' },
        spec: { selector: { app: 'redis' }, ports: [{ name: 'redis', port: 6379, targetPort: 6379 }] },
      },
    });
    const t0 = Date.now();
    await apps.createNamespacedStatefulSet({
      namespace: NS,
      body: redisOnRealNode(node.images.redis!, 'redis', ['--appendonly', 'no'], {
        ports: [{ containerPort: 6379 }],
        resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '128Mi' } },
      }),
    });
    const pod = await eventually('redis-0 Ready', async () => {
      const p = await core.readNamespacedPod({ name: 'redis-0', namespace: NS });
      return ready(p) ? p : undefined;
    });
    say(`redis-0 Ready ${Date.now() - t0} ms after the StatefulSet was created`);
    expect(pod.spec?.nodeName).toBe(node.name);
    expect(pod.status?.podIP).toMatch(/^10\.245\.0\./);

    expect(await redis(pod.status!.podIP!, 6379, 'PING')).toBe('+PONG');
    const svc = await core.readNamespacedService({ name: 'redis', namespace: NS });
    const clusterIp = svc.spec!.clusterIP!;
    // kube-proxy programs the Service once it sees the ready endpoint: retry until it does.
    expect(await eventually('PING through the ClusterIP', () => redis(clusterIp, 6379, 'PING'), 30_000)).toBe(
      '+PONG',
    );
    expect(await redis(clusterIp, 6379, 'SET drill 1')).toBe('+OK');

    await core.deleteNamespacedPod({ name: 'redis-0', namespace: NS, gracePeriodSeconds: 0 });
    const t1 = Date.now();
    const reborn = await eventually('redis-0 recreated and Ready', async () => {
      const p = await core.readNamespacedPod({ name: 'redis-0', namespace: NS });
      return p.metadata!.uid !== pod.metadata!.uid && ready(p) ? p : undefined;
    });
    say(`redis-0 recreated and Ready ${Date.now() - t1} ms after the delete`);
    expect(reborn.spec?.nodeName).toBe(node.name);
    // A new container: the key written to the old one (no persistence) is gone, PING answers.
    expect(
      await eventually(
        'PING to the new pod via the ClusterIP',
        async () => {
          const r = await redis(clusterIp, 6379, 'GET drill');
          return r === '$-1' ? r : undefined;
        },
        30_000,
      ),
    ).toBe('$-1');
    expect(await redis(reborn.status!.podIP!, 6379, 'PING')).toBe('+PONG');
  });

  it('lets a pod call the API server through the `kubernetes` Service with its ServiceAccount token', async () => {
    const slice = await kubeconfig()
      .makeApiClient(k8s.DiscoveryV1Api)
      .readNamespacedEndpointSlice({ name: 'kubernetes', namespace: 'default' });
    expect(slice.endpoints.map((e) => e.addresses)).toEqual([[node.nodeIp]]);
    // The pod's account may read pods in its namespace, nothing else.
    const rbac = kubeconfig().makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: NS,
      body: {
        metadata: { name: 'pod-reader' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NS,
      body: {
        metadata: { name: 'pod-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: NS }],
      },
    });
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const url = 'https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT';
    const r = await runPod(
      core,
      node,
      'api-client',
      [
        `echo "service $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"`,
        // Without the token: anonymous requests are refused.
        `echo "anonymous $(curl -s -o /dev/null -w '%{http_code}' --cacert ${sa}/ca.crt ${url}/version)"`,
        `echo "other namespace $(curl -s -o /dev/null -w '%{http_code}' --cacert ${sa}/ca.crt -H "Authorization: Bearer $(cat ${sa}/token)" ${url}/api/v1/namespaces/kube-system/pods/x)"`,
        `curl -sS --fail-with-body --cacert ${sa}/ca.crt -H "Authorization: Bearer $(cat ${sa}/token)" ${url}/api/v1/namespaces/$(cat ${sa}/namespace)/pods/$HOSTNAME`,
      ].join('\n'),
    );
    expect(r.phase).toBe('Succeeded');
    expect(r.log).toContain('service 10.96.0.1:443');
    expect(r.log).toContain('anonymous 401');
    expect(r.log).toContain('other namespace 403');
    const self = JSON.parse(r.log.slice(r.log.indexOf('{'))) as k8s.V1Pod;
    expect(self.metadata?.name).toBe('api-client');
    expect(self.spec?.nodeName).toBe(node.name);
  });

  it('resolves Service names and a headless StatefulSet pod name in pods, and answers other names itself', async () => {
    const dns = await core.readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' });
    expect(dns.spec?.clusterIP).toBe('10.96.0.10');
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: 'web' },
        spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'redis', port: 6379 }] },
      },
    });
    await apps.createNamespacedStatefulSet({
      namespace: NS,
      body: redisOnRealNode(node.images.redis!, 'web', []),
    });
    const web0 = await eventually('web-0 Ready', async () => {
      const p = await core.readNamespacedPod({ name: 'web-0', namespace: NS });
      return ready(p) ? p : undefined;
    });
    const redisIp = (await core.readNamespacedService({ name: 'redis', namespace: NS })).spec!.clusterIP!;
    const table = `firedrill-node-${node.name}`;
    const dropped = droppedOutbound(table);
    const r = await runPod(
      core,
      node,
      'dns-client',
      [
        'cat /etc/resolv.conf',
        'echo "short $(getent hosts redis | cut -d" " -f1)"',
        `echo "fqdn $(getent hosts redis.${NS}.svc.cluster.local | cut -d" " -f1)"`,
        `echo "pod $(getent hosts web-0.web.${NS}.svc.cluster.local | cut -d" " -f1)"`,
        'echo "api $(getent hosts kubernetes.default | cut -d" " -f1)"',
        // The API server by its Service name, as in-cluster clients address it.
        'echo "by name $(curl -s -o /dev/null -w "%{http_code}" --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt https://kubernetes.default.svc/version)"',
        'echo "outside $(dig +tries=1 +time=2 example.com A | grep -o "status: [A-Z]*")"',
        `echo "missing $(dig +tries=1 +time=2 nothing.${NS}.svc.cluster.local A | grep -o "status: [A-Z]*")"`,
      ].join('\n'),
    );
    expect(r.phase).toBe('Succeeded');
    expect(r.log).toMatch(/^nameserver 10\.96\.0\.10$/m);
    expect(r.log).toMatch(
      new RegExp(`^search ${NS}\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local$`, 'm'),
    );
    expect(r.log).toContain(`short ${redisIp}\n`);
    expect(r.log).toContain(`fqdn ${redisIp}\n`);
    expect(r.log).toContain(`pod ${web0.status!.podIP}\n`);
    expect(r.log).toContain('api 10.96.0.1\n');
    expect(r.log).toContain('by name 401');
    expect(r.log).toContain('outside status: NXDOMAIN');
    expect(r.log).toContain('missing status: NXDOMAIN');
    // Nothing of it left the bridge: the forward filter dropped nothing new.
    expect(droppedOutbound(table)).toBe(dropped);
  });

  it('binds a fast-ssd claim to a volume on the real node; a non-root pod writes it and the data outlives the pod', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: {
        metadata: { name: 'data' },
        spec: {
          storageClassName: 'fast-ssd',
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    });
    const nonRoot: Partial<k8s.V1PodSpec> = {
      securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true },
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
    };
    const mount = (spec: Partial<k8s.V1PodSpec>, name: string, script: string) =>
      runPod(core, node, name, script, {
        ...spec,
        containers: [
          {
            name,
            image: node.images.toolbox!,
            imagePullPolicy: 'Never',
            command: ['bash', '-c', script],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
      });
    const w = await mount(nonRoot, 'writer', 'id -u; echo drill-data > /data/file && cat /data/file');
    expect(w.phase).toBe('Succeeded');
    expect(w.log).toBe('1000\ndrill-data\n');
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: NS });
    expect(pvc.status?.phase).toBe('Bound');
    const pv = await core.readPersistentVolume({ name: pvc.spec!.volumeName! });
    expect(pv.spec?.local?.path.startsWith(`${node.dir}/`)).toBe(true);
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values).toEqual([
      node.name,
    ]);
    await core.deleteNamespacedPod({ name: 'writer', namespace: NS, gracePeriodSeconds: 0 });
    await eventually('the writer pod gone', async () =>
      (await core.listNamespacedPod({ namespace: NS, fieldSelector: 'metadata.name=writer' })).items.length
        ? undefined
        : true,
    );
    const rd = await mount(nonRoot, 'reader', 'cat /data/file');
    expect(rd.log).toBe('drill-data\n');

    // A placeholder on KWOK with a claim of the same class binds too, to a volume of a KWOK node.
    await apps.createNamespacedStatefulSet({
      namespace: NS,
      body: {
        metadata: { name: 'placeholder-db' },
        spec: {
          replicas: 1,
          serviceName: 'placeholder-db',
          selector: { matchLabels: { app: 'placeholder-db' } },
          template: {
            metadata: { labels: { app: 'placeholder-db' } },
            spec: {
              containers: [
                { name: 'db', image: 'slo-scout/db:latest', volumeMounts: [{ name: 'd', mountPath: '/d' }] },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'd' },
              spec: {
                storageClassName: 'fast-ssd',
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: '500Gi' } },
              },
            },
          ],
        },
      },
    });
    const kwokPod = await eventually('placeholder-db-0 Ready on KWOK', async () => {
      const p = await core.readNamespacedPod({ name: 'placeholder-db-0', namespace: NS });
      return ready(p) ? p : undefined;
    });
    expect(kwokPod.spec?.nodeName).toMatch(/^kwok-node-/);
    const kwokPvc = await core.readNamespacedPersistentVolumeClaim({
      name: 'd-placeholder-db-0',
      namespace: NS,
    });
    expect(kwokPvc.spec?.volumeName).toMatch(new RegExp(`^${kwokPod.spec!.nodeName}-fast-ssd-`));
  });

  it("drops a pod's traffic towards the outside", async () => {
    const table = `firedrill-node-${node.name}`;
    const dropped = droppedOutbound(table);
    // The outside interface's gateway: the pod's packets must never leave the machine.
    const gateway = execFileSync('ip', ['route', 'show', 'default'], { encoding: 'utf8' }).split(' ')[2]!;
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'egress' },
        spec: {
          ...realNodePlacement(),
          restartPolicy: 'Never',
          containers: [
            {
              name: 'egress',
              image: node.images.redis!,
              imagePullPolicy: 'Never',
              command: [
                'bash',
                '-c',
                `timeout 3 bash -c 'echo > /dev/tcp/${gateway}/53' && echo reached || echo blocked`,
              ],
            },
          ],
        },
      },
    });
    const done = await eventually('the egress pod to finish', async () => {
      const p = await core.readNamespacedPod({ name: 'egress', namespace: NS });
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    });
    expect(done.status?.phase).toBe('Succeeded');
    const logs = await core.readNamespacedPodLog({ name: 'egress', namespace: NS });
    expect(String(logs).trim()).toBe('blocked');
    expect(droppedOutbound(table)).toBeGreaterThan(dropped);
  });

  it('still runs placeholder workloads on KWOK (kept off the real node by its taint)', async () => {
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'placeholder' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'placeholder' } },
          template: {
            metadata: { labels: { app: 'placeholder' } },
            spec: { containers: [{ name: 'api', image: 'slo-scout/api:latest' }] },
          },
        },
      },
    });
    const pods = await eventually('2 Ready placeholder pods', async () => {
      const l = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=placeholder' });
      return l.items.length === 2 && l.items.every(ready) ? l.items : undefined;
    });
    expect(pods.every((p) => p.spec?.nodeName?.startsWith('kwok-node-'))).toBe(true);
  });

  it('listens on the bridge address (kubelet) and 127.0.0.1 only', () => {
    const pids = new Set(markedProcesses(nodeMarker(node.name)));
    const rows = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => [...l.matchAll(/pid=(\d+)/g)].some((m) => pids.has(Number(m[1]))))
      .map((l) => l.trim().split(/\s+/)[3]!);
    say(`node listeners: ${rows.join(' ')} | RSS MiB ${JSON.stringify(node.rssMiB())}`);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const addr of rows)
      expect(addr.replace(/:\d+$/, '')).toMatch(
        new RegExp(`^(127\\.0\\.0\\.1|${node.nodeIp.replace(/\./g, '\\.')})$`),
      );
  });

  it("cleans up a crashed run's node by itself: a second start of the same node ends the first, and its pods come back", async () => {
    // The first node is left running, as a test process killed mid-run would leave it.
    const first = node;
    const pod = await core.readNamespacedPod({ name: 'redis-0', namespace: NS });
    const t0 = Date.now();
    node = await startTestNode(cluster, { log: (m) => say(m) });
    say(`node restarted over the leftover in ${Date.now() - t0} ms`);
    expect(node.name).toBe(first.name);
    expect(markedProcesses(nodeMarker(node.name)).length).toBeGreaterThanOrEqual(3);
    // The StatefulSet's pod stays bound to the node name: the new kubelet starts it again.
    const back = await eventually('redis-0 running again on the new node', async () => {
      const p = await core.readNamespacedPod({ name: 'redis-0', namespace: NS });
      const restarted =
        p.metadata!.uid !== pod.metadata!.uid ||
        p.status?.containerStatuses?.[0]?.containerID !== pod.status?.containerStatuses?.[0]?.containerID;
      return restarted && ready(p) ? p : undefined;
    });
    expect(await redis(back.status!.podIP!, 6379, 'PING')).toBe('+PONG');
  });

  it('stop() leaves the host exactly as it was before the cluster started', async () => {
    const t0 = Date.now();
    const diff = await node.stop();
    say(`node stopped in ${Date.now() - t0} ms`);
    expect(diff.lines).toEqual([]);
    expect(markedProcesses(nodeMarker(node.name))).toEqual([]);
    await cluster.stop();
    expect(diffHostState(hostBefore, readHostState()).lines).toEqual([]);
  });
});
