// The data tier of deploy/k8s really running on the real test node: Kafka (3 brokers + 2
// controllers, KRaft, topics from the manifest's Job), MinIO (4 nodes, EC:2, credentials from a
// Secret generated at deploy time) and Redis (append-only file on its volume), from the manifests
// with the single-node overlay (deploy/overlays/single-node.yaml) and the images setup built
// without a registry. Each system is proven to serve from the host, as a runner on the node would
// reach it: Kafka through every broker, MinIO PUT/GET through its Service, Redis SET/GET. The host
// is exactly as before afterwards.
import { Socket } from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { GetObjectCommand, PutObjectCommand, S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApi } from '../../src/platform/kubernetes/api.ts';
import { applyObject } from '../../src/platform/kubernetes/apply.ts';
import { applyOverlay, generatedSecrets, loadOverlay } from '../../src/platform/kubernetes/overlay.ts';
import { allObjects, loadDeployPlan, type PlannedObject } from '../../src/platform/kubernetes/plan.ts';
import { startTestCluster, type TestCluster } from '../../src/platform/kubernetes/test-cluster.ts';
import { nodeMarker, startTestNode, type TestNode } from '../../src/platform/kubernetes/test-node.ts';
import { diffHostState, readHostState, type HostState } from '../../src/platform/kubernetes/host-state.ts';
import { markedProcesses } from '../../src/platform/local/process.ts';
import { eventually, podReady } from './k8s-wait.ts';

const NAME = 'e2e-k8s-data';
const ZONE = 'zone-a';
const say = (m: string) => console.log(`[k8s-data] ${m}`);

/** The systems this test runs, by the `app` label of their objects in deploy/k8s. */
const SYSTEMS = {
  kafka: { ns: 'slo-scout-streaming', apps: ['kafka', 'kafka-controller', 'kafka-topics'] },
  minio: { ns: 'slo-scout-data', apps: ['minio'] },
  redis: { ns: 'slo-scout-data', apps: ['redis'] },
} as const;

/** RESP commands over one TCP connection from the host; the raw reply of each. */
function redis(host: string, port: number, ...commands: string[][]): Promise<string[]> {
  const encode = (args: string[]) =>
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const s = new Socket();
    let buf = '';
    s.setTimeout(5_000, () => s.destroy(new Error(`redis ${host}:${port}: timed out`)));
    s.on('data', (d) => {
      buf += d.toString();
      // Every reply here is a simple string, an integer, a bulk string or an array of two bulks.
      const replies =
        buf.match(
          /(\*2\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n[^\r]*\r\n|\$\d+\r\n[^\r]*\r\n|\$-1\r\n|[+:-][^\r]*\r\n)/g,
        ) ?? [];
      if (replies.length >= commands.length) {
        s.end();
        resolve(replies);
      }
    });
    s.on('error', reject);
    s.connect(port, host, () => s.write(commands.map(encode).join('')));
  });
}

describe('the data tier on the real node (deploy/k8s + single-node overlay)', () => {
  let hostBefore: HostState;
  let cluster: TestCluster;
  let node: TestNode;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let batch: k8s.BatchV1Api;
  const readyMs: Record<string, number> = {};

  beforeAll(async () => {
    hostBefore = readHostState();
    // realNode: KWOK leaves the local storage classes' claims to the scheduler (else it binds them
    // to hostPath placeholders at once), and the API server's certificate names the bridge address.
    cluster = await startTestCluster({ name: NAME, nodes: 1, realNode: {}, log: say });
    node = await startTestNode(cluster, { images: ['redis', 'kafka', 'minio'], log: say });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    batch = kc.makeApiClient(k8s.BatchV1Api);
    // A zone for broker.rack: the PodTopologyLabels admission copies it onto each pod at binding.
    await core.patchNode(
      {
        name: node.name,
        body: [{ op: 'add', path: '/metadata/labels/topology.kubernetes.io~1zone', value: ZONE }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );

    const api = new KubeApi(kc);
    const overlay = loadOverlay('single-node');
    const plan = applyOverlay(loadDeployPlan(), overlay);
    const wanted = new Set<string>(Object.values(SYSTEMS).flatMap((s) => s.apps));
    const objects = allObjects(plan).filter(
      (p: PlannedObject) =>
        p.tier === 'namespaces' ||
        p.tier === 'storage' ||
        wanted.has(String((p.manifest.metadata.labels as Record<string, string> | undefined)?.app)),
    );
    // NetworkPolicies of the data tier are applied too: this node's CNI (bridge) does not enforce them.
    const t0 = Date.now();
    for (const p of objects.filter((o) => o.tier === 'namespaces' || o.tier === 'storage'))
      await applyObject(api, p);
    for (const s of generatedSecrets(overlay))
      if (
        !(await api.get({
          apiVersion: 'v1',
          kind: 'Secret',
          name: s.metadata.name,
          namespace: s.metadata.namespace,
        }))
      )
        await applyObject(api, {
          ref: { apiVersion: 'v1', kind: 'Secret', name: s.metadata.name, namespace: s.metadata.namespace },
          manifest: s,
        });
    for (const p of objects.filter((o) => o.tier !== 'namespaces' && o.tier !== 'storage'))
      await applyObject(api, p);
    say(`applied ${objects.length} objects in ${Date.now() - t0} ms`);

    // On a timeout, what each pod of the tier was doing (status, last log lines) goes to the output.
    const explain = async () => {
      // The volumes as the host sees them (owner, group, mode), and what the kubelet said of them.
      const pvs = await core.listPersistentVolume();
      for (const pv of pvs.items.filter((v) => v.spec?.claimRef && v.spec.local?.path)) {
        const st = statSync(pv.spec!.local!.path);
        say(
          `${pv.spec!.claimRef!.name} -> ${pv.metadata!.name}: uid ${st.uid} gid ${st.gid} mode ${(st.mode & 0o7777).toString(8)}`,
        );
      }
      try {
        const kubelet = readFileSync(join(node.dir, 'logs', 'kubelet.log'), 'utf8').split('\n');
        say(
          kubelet
            .filter((l) => /ownership|fsgroup|permission|denied/i.test(l))
            .slice(-15)
            .join('\n'),
        );
      } catch (err) {
        say(`kubelet log: ${(err as Error).message}`);
      }
      for (const ns of ['slo-scout-streaming', 'slo-scout-data']) {
        const l = await core.listNamespacedPod({ namespace: ns });
        for (const p of l.items) {
          const st = p.status?.containerStatuses?.[0];
          say(
            `${ns}/${p.metadata?.name}: ${p.status?.phase} ready=${st?.ready} restarts=${st?.restartCount} ${JSON.stringify(st?.state?.waiting ?? st?.lastState?.terminated ?? {})} ${
              p.status?.conditions
                ?.filter((c) => c.status !== 'True')
                .map((c) => `${c.type}: ${c.message ?? c.reason ?? ''}`)
                .join('; ') ?? ''
            }`,
          );
          // The previous (crashed) container's log if there is one: its error, then its last lines.
          const read = (previous: boolean) =>
            core.readNamespacedPodLog({ name: p.metadata!.name!, namespace: ns, tailLines: 300, previous });
          const log = String(await read(true).catch(() => read(false).catch(() => ''))).split('\n');
          const errors = log.filter((l) => /Exception|denied|ERROR|FATAL|refused/i.test(l)).slice(-6);
          say([...errors, '...', ...log.slice(-6)].map((x) => `    ${x}`).join('\n'));
        }
      }
    };
    const started = Date.now();
    try {
      const podsReady = async (ns: string, app: string, n: number) => {
        const l = await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` });
        return l.items.length === n && l.items.every(podReady) ? l.items : undefined;
      };
      await Promise.all([
        eventually(
          '3 Kafka brokers and 2 controllers Ready',
          async () =>
            (await podsReady('slo-scout-streaming', 'kafka', 3)) &&
            (await podsReady('slo-scout-streaming', 'kafka-controller', 2))
              ? (readyMs.kafka = Date.now() - started)
              : undefined,
          200_000,
          1_000,
        ),
        eventually(
          '4 MinIO nodes Ready',
          async () =>
            (await podsReady('slo-scout-data', 'minio', 4))
              ? (readyMs.minio = Date.now() - started)
              : undefined,
          200_000,
          1_000,
        ),
        eventually(
          'Redis Ready',
          async () =>
            (await podsReady('slo-scout-data', 'redis', 1))
              ? (readyMs.redis = Date.now() - started)
              : undefined,
          200_000,
          1_000,
        ),
      ]);
      await eventually(
        'the kafka-topics Job to complete',
        async () => {
          const j = await batch.readNamespacedJob({ name: 'kafka-topics', namespace: 'slo-scout-streaming' });
          return j.status?.succeeded ? (readyMs['kafka-topics'] = Date.now() - started) : undefined;
        },
        200_000,
        1_000,
      );
      say(`apply -> Ready (ms): ${JSON.stringify(readyMs)}`);
    } catch (err) {
      await explain().catch(() => undefined);
      throw err;
    }
  }, 900_000);

  afterAll(async () => {
    await node?.stop();
    await cluster?.stop();
  });

  it('runs every data pod on the real node from the images built without a registry', async () => {
    for (const { ns, apps: names } of Object.values(SYSTEMS))
      for (const app of names.filter((a) => a !== 'kafka-topics')) {
        const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` });
        for (const p of pods.items) {
          expect([p.metadata?.name, p.spec?.nodeName]).toEqual([p.metadata?.name, node.name]);
          expect(p.spec?.containers[0]!.image).toMatch(/^localhost\/firedrill\//);
          expect(p.status?.podIP).toMatch(/^10\.245\.0\./);
        }
      }
  });

  it('Kafka: topics from the manifest with RF 3 / min ISR 2, a rack per broker; produce and consume through all 3 brokers', async () => {
    const pods = (
      await core.listNamespacedPod({ namespace: 'slo-scout-streaming', labelSelector: 'app=kafka' })
    ).items;
    // EXTERNAL (9093) advertises the pod IP: the host reaches every broker there.
    const brokers = pods.map((p) => `${p.status!.podIP}:9093`);
    const kafka = new Kafka({ clientId: 'k8s-data-e2e', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual([0, 1, 2]);
      const topics = readFileSync(new URL('../../deploy/k8s/30-streaming.yaml', import.meta.url), 'utf8');
      expect(topics).toContain('otlp_spans 6');
      const meta = await admin.fetchTopicMetadata({
        topics: ['otlp_spans', 'otlp_metrics', 'otlp_logs', 'logs'],
      });
      for (const t of meta.topics) {
        expect(t.partitions).toHaveLength(6);
        for (const p of t.partitions) expect(p.replicas).toHaveLength(3);
      }
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: 2 /* TOPIC */,
            name: 'logs',
            configNames: ['min.insync.replicas', 'unclean.leader.election.enable'],
          },
          { type: 4 /* BROKER */, name: '0', configNames: ['broker.rack'] },
        ],
      });
      const value = (i: number, n: string) =>
        configs.resources[i]!.configEntries.find((e) => e.configName === n)?.configValue;
      expect(value(0, 'min.insync.replicas')).toBe('2');
      expect(value(0, 'unclean.leader.election.enable')).toBe('false');
      expect(value(1, 'broker.rack')).toBe(ZONE);

      // One message per partition: the 6 leaders are spread over the 3 brokers, so every broker
      // takes writes; each must come back.
      const logs = meta.topics.find((t) => t.name === 'logs')!;
      expect(new Set(logs.partitions.map((p) => p.leader))).toEqual(new Set([0, 1, 2]));
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const run = randomBytes(4).toString('hex');
      await producer.send({
        topic: 'logs',
        acks: -1,
        messages: logs.partitions.map((p) => ({
          partition: p.partitionId,
          value: `${run}-${p.partitionId}`,
        })),
      });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: `k8s-data-${run}` });
      await consumer.connect();
      await consumer.subscribe({ topic: 'logs', fromBeginning: true });
      const seen = new Set<string>();
      await consumer.run({
        eachMessage: async ({ message }) => {
          const v = message.value?.toString() ?? '';
          if (v.startsWith(run)) seen.add(v);
        },
      });
      await eventually(
        'every produced message consumed',
        async () => (seen.size === 6 ? true : undefined),
        60_000,
      );
      await consumer.disconnect();
      expect([...seen].sort()).toEqual(logs.partitions.map((p) => `${run}-${p.partitionId}`).sort());
    } finally {
      await admin.disconnect();
    }
  }, 180_000);

  it('MinIO: PUT and GET through its Service with the generated credentials (EC:2 over 4 nodes)', async () => {
    const secret = await core.readNamespacedSecret({
      name: 'minio-credentials',
      namespace: 'slo-scout-data',
    });
    const b64 = (k: string) => Buffer.from(secret.data![k]!, 'base64').toString();
    expect(b64('root-password')).not.toBe('minioadmin');
    const svc = await core.readNamespacedService({ name: 'minio', namespace: 'slo-scout-data' });
    const s3 = new S3Client({
      endpoint: `http://${svc.spec!.clusterIP}:9000`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: b64('root-user'), secretAccessKey: b64('root-password') },
    });
    const body = randomBytes(64 * 1024);
    await eventually(
      'a bucket created',
      () => s3.send(new CreateBucketCommand({ Bucket: 'drill' })),
      120_000,
      1_000,
    );
    await s3.send(new PutObjectCommand({ Bucket: 'drill', Key: 'object', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'drill', Key: 'object' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    // The storage class the manifest sets is the one the cluster applies.
    const pods = (await core.listNamespacedPod({ namespace: 'slo-scout-data', labelSelector: 'app=minio' }))
      .items;
    expect(pods).toHaveLength(4);
    s3.destroy();
  }, 180_000);

  it('Redis: SET/GET through its Service, append-only file fsynced every second on its volume', async () => {
    const svc = await core.readNamespacedService({ name: 'redis', namespace: 'slo-scout-data' });
    const ip = svc.spec!.clusterIP!;
    const replies = await eventually(
      'Redis through its ClusterIP',
      () =>
        redis(
          ip,
          6379,
          ['SET', 'drill', 'k8s'],
          ['GET', 'drill'],
          ['CONFIG', 'GET', 'appendonly'],
          ['CONFIG', 'GET', 'appendfsync'],
          ['CONFIG', 'GET', 'dir'],
        ),
      60_000,
      500,
    );
    expect(replies[0]).toBe('+OK\r\n');
    expect(replies[1]).toBe('$3\r\nk8s\r\n');
    expect(replies[2]).toMatch(/appendonly\r\n\$3\r\nyes/);
    expect(replies[3]).toMatch(/appendfsync\r\n\$8\r\neverysec/);
    expect(replies[4]).toMatch(/dir\r\n\$5\r\n\/data/);
    const pvc = await core.readNamespacedPersistentVolumeClaim({
      name: 'redis-data',
      namespace: 'slo-scout-data',
    });
    expect(pvc.status?.phase).toBe('Bound');
  });

  it('reports the idle memory of the node with the data tier running', async () => {
    const node$ = node.rssMiB();
    const nodeTotal = Object.values(node$).reduce((a, b) => a + b, 0);
    let pods = NaN;
    try {
      const stat = readFileSync('/sys/fs/cgroup/memory/kubepods/memory.stat', 'utf8');
      pods = Number(/^total_rss (\d+)/m.exec(stat)?.[1]) / 2 ** 20;
    } catch {
      /* cgroup v2 or another layout: the node's own figure only */
    }
    say(
      `idle RSS MiB: node processes ${nodeTotal.toFixed(0)} ${JSON.stringify(node$)}; pods (kubepods total_rss) ${pods.toFixed(0)}`,
    );
    expect(nodeTotal).toBeGreaterThan(0);
    expect(markedProcesses(nodeMarker(node.name)).length).toBeGreaterThanOrEqual(3);
    void apps;
  });

  it('stop() leaves the host exactly as it was before the cluster started', async () => {
    const diff = await node.stop();
    expect(diff.lines).toEqual([]);
    await cluster.stop();
    expect(diffHostState(hostBefore, readHostState()).lines).toEqual([]);
  });
});
