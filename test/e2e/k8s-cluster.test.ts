// The Kubernetes test control plane itself: real etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and KWOK on 127.0.0.1. A StatefulSet (with a volume claim template) reaches 3
// Ready pods, a pod deleted with grace 0 is recreated, every listener is on loopback, and stop()
// leaves no process behind.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestCluster,
  testClusterListeners,
  testClusterPids,
  type TestCluster,
} from '../../src/platform/kubernetes/test-cluster.ts';
import { eventually, podReady } from './k8s-wait.ts';

const NAME = 'e2e-k8s-cluster';
const NS = 'firedrill-harness';

const ready = podReady;

describe('Kubernetes test control plane', () => {
  let cluster: TestCluster;
  let core: k8s.CoreV1Api;
  let kc: () => k8s.KubeConfig;
  let apps: k8s.AppsV1Api;
  let startupMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    cluster = await startTestCluster({ name: NAME, nodes: 4, log: (m) => console.log(`[k8s ${NAME}] ${m}`) });
    startupMs = Date.now() - t0;
    console.log(`[k8s ${NAME}] start-up took ${startupMs} ms`);
    kc = () => {
      const config = new k8s.KubeConfig();
      config.loadFromFile(cluster.kubeconfig);
      config.setCurrentContext(cluster.context);
      return config;
    };
    core = kc().makeApiClient(k8s.CoreV1Api);
    apps = kc().makeApiClient(k8s.AppsV1Api);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves the admin kubeconfig on 127.0.0.1 with 4 Ready fake nodes', async () => {
    expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster.context).toBe(`firedrill-test-${NAME}`);
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    expect(nodes.items).toHaveLength(4);
    for (const n of nodes.items) {
      expect(n.status?.allocatable).toMatchObject({ cpu: '64', memory: '256Gi', pods: '110' });
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('runs a StatefulSet to 3 Ready pods and recreates a pod deleted with grace 0', async () => {
    // Like the topology's storage classes: no provisioner, WaitForFirstConsumer. KWOK binds the claims.
    const storage = kc().makeApiClient(k8s.StorageV1Api);
    await storage.createStorageClass({
      body: {
        metadata: { name: 'harness-ssd' },
        provisioner: 'kubernetes.io/no-provisioner',
        volumeBindingMode: 'WaitForFirstConsumer',
      },
    });
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await apps.createNamespacedStatefulSet({
      namespace: NS,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          serviceName: 'web',
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [
                {
                  name: 'web',
                  image: 'registry.invalid/web:1',
                  resources: { requests: { cpu: '2', memory: '4Gi' } },
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: {
                accessModes: ['ReadWriteOnce'],
                storageClassName: 'harness-ssd',
                resources: { requests: { storage: '10Gi' } },
              },
            },
          ],
        },
      },
    });

    const pods = await eventually('3 Running/Ready pods', async () => {
      const list = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' });
      return list.items.length === 3 && list.items.every(ready) ? list.items : undefined;
    });
    expect(pods.map((p) => p.metadata!.name).sort()).toEqual(['web-0', 'web-1', 'web-2']);
    for (const p of pods) {
      expect(p.spec?.nodeName).toMatch(/^kwok-node-\d$/);
      expect(p.status?.podIP).toMatch(/^10\.244\./); // fake, never contacted
    }
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: NS });
    expect(claims.items.map((c) => c.status?.phase)).toEqual(['Bound', 'Bound', 'Bound']);

    const victim = pods.find((p) => p.metadata!.name === 'web-1')!;
    await core.deleteNamespacedPod({ name: 'web-1', namespace: NS, gracePeriodSeconds: 0 });
    const t0 = Date.now();
    const reborn = await eventually('web-1 recreated and Ready', async () => {
      const p = await core.readNamespacedPod({ name: 'web-1', namespace: NS }).catch(() => undefined);
      return p && p.metadata!.uid !== victim.metadata!.uid && ready(p) ? p : undefined;
    });
    console.log(`[k8s ${NAME}] web-1 recreated and Ready ${Date.now() - t0} ms after the delete`);
    expect(reborn.metadata!.uid).not.toBe(victim.metadata!.uid);
    const sts = await apps.readNamespacedStatefulSet({ name: 'web', namespace: NS });
    await eventually('StatefulSet readyReplicas 3', async () => {
      const s = await apps.readNamespacedStatefulSet({ name: 'web', namespace: NS });
      return s.status?.readyReplicas === 3 ? s : undefined;
    });
    expect(sts.spec?.replicas).toBe(3);
  });

  it('admits with ResourceQuota: a pod over the namespace quota is refused', async () => {
    const ns = 'firedrill-quota';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: 'q' }, spec: { hard: { 'requests.cpu': '3' } } },
    });
    const pod = (name: string): k8s.V1Pod => ({
      metadata: { name },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'registry.invalid/c:1',
            resources: { requests: { cpu: '2' }, limits: { cpu: '2' } },
          },
        ],
      },
    });
    // The quota controller fills in status.used first; until then admission refuses every pod.
    await eventually('the quota to be counted', async () => {
      const q = await core.readNamespacedResourceQuota({ name: 'q', namespace: ns });
      return q.status?.used ? q : undefined;
    });
    await eventually('the first pod to be admitted', () =>
      core.createNamespacedPod({ namespace: ns, body: pod('a') }),
    );
    const err = await core.createNamespacedPod({ namespace: ns, body: pod('b') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: number }).code).toBe(403);
    expect(String((err as { body?: string }).body)).toMatch(/exceeded quota/);
  });

  it('enforces RBAC: an unbound service account may not list pods', async () => {
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'nobody' } } });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'nobody',
      namespace: NS,
      body: { spec: { audiences: [] } },
    });
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: cluster.server, caData: readCa(cluster) }],
      users: [{ name: 'nobody', token: token.status!.token }],
      contexts: [{ name: 'nobody', cluster: 'c', user: 'nobody' }],
      currentContext: 'nobody',
    });
    const asNobody = kc.makeApiClient(k8s.CoreV1Api);
    const err = await asNobody.listNamespacedPod({ namespace: NS }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: number }).code).toBe(403);
  });

  it('listens on 127.0.0.1 only', () => {
    const listeners = testClusterListeners(NAME);
    const processes = new Set(listeners.map((l) => l.process));
    // etcd (client, peer), kube-apiserver, kube-controller-manager, kube-scheduler; KWOK serves nothing.
    for (const p of ['etcd', 'kube-apiserver', 'kube-controller', 'kube-scheduler'])
      expect([...processes].some((q) => q.startsWith(p))).toBe(true);
    expect(listeners.length).toBeGreaterThanOrEqual(5);
    expect(listeners.filter((l) => l.address !== '127.0.0.1')).toEqual([]);
    console.log(
      `[k8s ${NAME}] listeners: ${listeners.map((l) => `${l.process}@${l.address}:${l.port}`).join(' ')}`,
    );
  });

  it('stop() leaves no process', async () => {
    expect(testClusterPids(NAME).length).toBeGreaterThanOrEqual(5);
    await cluster.stop();
    expect(testClusterPids(NAME)).toEqual([]);
    expect(testClusterListeners(NAME)).toEqual([]);
  });
});

function readCa(cluster: TestCluster): string {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  return kc.getCluster(cluster.context)!.caData!;
}
