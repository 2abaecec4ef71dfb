// The single-node overlay over the real deploy plan of deploy/k8s: what it changes (images, pull
// policy, placement, resources, env, volume sizes, relaxed anti-affinity) and what it keeps
// (replicas, HA settings, everything it does not list), and how it refuses a bad overlay.
import { describe, expect, it } from 'vitest';
import {
  applyOverlay,
  generatedSecrets,
  loadOverlay,
  RELAXED_ANNOTATION,
  type Overlay,
} from '../../src/platform/kubernetes/overlay.ts';
import {
  allObjects,
  loadDeployPlan,
  planFromDocuments,
  type DeployPlan,
} from '../../src/platform/kubernetes/plan.ts';
import type { KubeObject } from '../../src/platform/kubernetes/objects.ts';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const overlay = loadOverlay('single-node');
const base = loadDeployPlan();
const planned = applyOverlay(base, overlay);
const get = (plan: DeployPlan, kind: string, ns: string, name: string): Doc => {
  const p = allObjects(plan).find(
    (o) => o.ref.kind === kind && o.ref.namespace === ns && o.ref.name === name,
  );
  if (!p) throw new Error(`${kind} ${ns}/${name} not planned`);
  return p.manifest as Doc;
};
const env = (c: Doc) => Object.fromEntries((c.env ?? []).map((e: Doc) => [e.name, e.value ?? e.valueFrom]));

describe('the single-node overlay', () => {
  it('keeps every object and every replica count of deploy/k8s', () => {
    expect(planned.total).toBe(base.total);
    for (const p of allObjects(base)) {
      const after = get(planned, p.ref.kind, p.ref.namespace!, p.ref.name);
      expect([p.ref.name, after.spec?.replicas]).toEqual([p.ref.name, (p.manifest as Doc).spec?.replicas]);
    }
    expect(get(planned, 'StatefulSet', 'slo-scout-streaming', 'kafka').spec.replicas).toBe(3);
    expect(get(planned, 'StatefulSet', 'slo-scout-streaming', 'kafka-controller').spec.replicas).toBe(2);
    expect(get(planned, 'StatefulSet', 'slo-scout-data', 'minio').spec.replicas).toBe(4);
  });

  it('keeps the HA settings: RF 3, min ISR 2, unclean election off, EC:2', () => {
    const kafka = env(
      get(planned, 'StatefulSet', 'slo-scout-streaming', 'kafka').spec.template.spec.containers[0],
    );
    expect(kafka).toMatchObject({
      KAFKA_DEFAULT_REPLICATION_FACTOR: '3',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
      KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE: 'false',
    });
    expect(String(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS).split(',')).toHaveLength(5);
    const minio = env(
      get(planned, 'StatefulSet', 'slo-scout-data', 'minio').spec.template.spec.containers[0],
    );
    expect(minio.MINIO_STORAGE_CLASS_STANDARD).toBe('EC:2');
    expect(minio.MINIO_CI_CD).toBe('on');
    // Credentials stay references to the Secret, never values.
    expect(minio.MINIO_ROOT_PASSWORD).toEqual({
      secretKeyRef: { name: 'minio-credentials', key: 'root-password' },
    });
  });

  it.each([
    ['slo-scout-streaming', 'kafka', 'localhost/firedrill/kafka:4.4.0'],
    ['slo-scout-streaming', 'kafka-controller', 'localhost/firedrill/kafka:4.4.0'],
    ['slo-scout-data', 'minio', 'localhost/firedrill/minio:20260212201848'],
    ['slo-scout-data', 'redis', 'localhost/firedrill/redis:7.0-bookworm'],
  ])('%s/%s runs %s, never pulled, on the real node', (ns, name, image) => {
    const kind = name === 'redis' ? 'Deployment' : 'StatefulSet';
    const pod = get(planned, kind, ns, name).spec.template.spec;
    expect(pod.containers[0].image).toBe(image);
    expect(pod.containers[0].imagePullPolicy).toBe('Never');
    expect(pod.nodeSelector).toEqual({ 'firedrill.io/node': 'real' });
    expect(pod.tolerations).toContainEqual(
      expect.objectContaining({ key: 'firedrill.io/real-node', effect: 'NoSchedule' }),
    );
  });

  it('places the topic Job on the real node with the Kafka image', () => {
    const pod = get(planned, 'Job', 'slo-scout-streaming', 'kafka-topics').spec.template.spec;
    expect(pod.containers[0].image).toBe('localhost/firedrill/kafka:4.4.0');
    expect(pod.nodeSelector).toEqual({ 'firedrill.io/node': 'real' });
  });

  it('scales requests down to a 2-core node and sizes the volumes for its local PVs', () => {
    const kafka = get(planned, 'StatefulSet', 'slo-scout-streaming', 'kafka');
    expect(kafka.spec.template.spec.containers[0].resources.requests).toEqual({
      cpu: '100m',
      memory: '640Mi',
      'ephemeral-storage': '256Mi', // not sized by the overlay: the manifest's
    });
    expect(kafka.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
    expect(env(kafka.spec.template.spec.containers[0]).KAFKA_HEAP_OPTS).toBe('-Xms128m -Xmx384m');
    // Redis's claim is its own object: resized with the workload that mounts it.
    expect(
      get(planned, 'PersistentVolumeClaim', 'slo-scout-data', 'redis-data').spec.resources.requests.storage,
    ).toBe('1Gi');
    let cpu = 0;
    for (const key of Object.keys(overlay.workloads)) {
      const [ns, name] = key.split('/');
      const d = allObjects(planned).find(
        (p) => p.ref.namespace === ns && p.ref.name === name && (p.manifest as Doc).spec?.template,
      )!.manifest as Doc;
      const m = /^(\d+)m$/.exec(d.spec.template.spec.containers[0].resources.requests.cpu)!;
      cpu += Number(m[1]) * (d.spec.replicas ?? 1);
    }
    expect(cpu).toBeLessThanOrEqual(1_000); // half of the node's 2 cores, the rest for the node itself
  });

  it("gives each pod its image's user and group, so the root-owned local volumes become writable", () => {
    const sc = (kind: string, ns: string, name: string) =>
      get(planned, kind, ns, name).spec.template.spec.securityContext;
    expect(sc('StatefulSet', 'slo-scout-streaming', 'kafka')).toMatchObject({
      runAsUser: 1000,
      fsGroup: 1000,
    });
    expect(sc('StatefulSet', 'slo-scout-data', 'minio')).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
    expect(sc('Deployment', 'slo-scout-data', 'redis')).toMatchObject({ runAsUser: 100, fsGroup: 101 });
  });

  it('leaves the workloads it does not list untouched (they run on KWOK)', () => {
    for (const [kind, ns, name] of [
      ['Deployment', 'slo-scout-backend', 'api'],
      ['StatefulSet', 'slo-scout-data', 'milvus'],
      ['Deployment', 'slo-scout-streaming', 'flink-taskmanager'],
    ] as const)
      expect(get(planned, kind, ns, name)).toEqual(get(base, kind, ns, name));
  });

  it('relaxes required anti-affinity to preferred, and says so on the workload', () => {
    const doc: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'minio', namespace: 'slo-scout-data' },
      spec: {
        replicas: 4,
        template: {
          spec: {
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'minio' } } },
                ],
              },
            },
            topologySpreadConstraints: [{ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }],
            containers: [{ name: 'minio', image: 'quay.io/minio/minio:RELEASE.x' }],
          },
        },
      },
    };
    const minioOnly: Overlay = {
      ...overlay,
      workloads: { 'slo-scout-data/minio': overlay.workloads['slo-scout-data/minio']! },
    };
    const out = applyOverlay(planFromDocuments([doc]), minioOnly);
    const d = allObjects(out)[0]!.manifest as Doc;
    const anti = d.spec.template.spec.affinity.podAntiAffinity;
    expect(anti.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(anti.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        weight: 100,
        podAffinityTerm: {
          topologyKey: 'kubernetes.io/hostname',
          labelSelector: { matchLabels: { app: 'minio' } },
        },
      },
    ]);
    expect(d.spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');
    expect(d.metadata.annotations[RELAXED_ANNOTATION]).toMatch(
      /single-node: required podAntiAffinity made preferred/,
    );
    expect(d.spec.replicas).toBe(4);
  });

  it('refuses an overlay that names a workload the plan lacks, or leaves an image the node cannot pull', () => {
    const typo: Overlay = { ...overlay, workloads: { 'slo-scout-data/mini0': {} } };
    expect(() => applyOverlay(base, typo)).toThrow(/no workload or Job is named slo-scout-data\/mini0/);
    const noRule: Overlay = { ...overlay, images: overlay.images.filter((r) => r.name !== 'apache/kafka') };
    expect(() => applyOverlay(base, noRule)).toThrow(
      /kafka runs apache\/kafka:4\.4\.0, which the node cannot pull/,
    );
    const badContainer: Overlay = {
      ...overlay,
      workloads: { 'slo-scout-data/redis': { containers: { cache: {} } } },
    };
    expect(() => applyOverlay(base, badContainer)).toThrow(/has no container "cache"/);
  });

  it('generates random Secrets for what the manifests reference but do not hold', () => {
    const [a] = generatedSecrets(overlay);
    const [b] = generatedSecrets(overlay);
    const data = (s: KubeObject) => s.stringData as Record<string, string>;
    expect(a!.metadata).toMatchObject({ name: 'minio-credentials', namespace: 'slo-scout-data' });
    expect(data(a!)['root-user']).toMatch(/^firedrill-[0-9a-f]{12}$/);
    expect(data(a!)['root-password']!.length).toBeGreaterThanOrEqual(32);
    expect(data(a!)['root-password']).not.toBe(data(b!)['root-password']);
    expect(data(a!)['root-password']).not.toMatch(/minioadmin/);
  });
});
