// The Kubernetes path's pure logic: the deploy plan (tiers, order, images), change detection,
// rollout predicates, and every refusal that needs no API server (context, disposable marker,
// allowlist, members, endpoints, flags). The real API server is in test/e2e/k8s-deploy.test.ts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { platformRefFrom } from '../../src/cli/kubernetes.ts';
import { checkPlatformSupports } from '../../src/drill/requirements.ts';
import { getDrill } from '../../src/drill/catalogue.ts';
import type { KubeObject } from '../../src/platform/kubernetes/api.ts';
import { comparable, diffPaths, isRejection } from '../../src/platform/kubernetes/apply.ts';
import { KubeApiError } from '../../src/platform/kubernetes/api.ts';
import {
  disposableContexts,
  loadContext,
  requireChangeAllowed,
  servesInCluster,
} from '../../src/platform/kubernetes/kubeconfig.ts';
import {
  allObjects,
  applyImageRules,
  loadDeployPlan,
  parseImageOverride,
  planFromDocuments,
  splitImage,
  TIERS,
  tierOf,
} from '../../src/platform/kubernetes/plan.ts';
import {
  endpointsFromEnv,
  KubernetesPlatform,
  memberOrdinal,
  readEndpoints,
} from '../../src/platform/kubernetes/platform.ts';
import { rolloutStatus } from '../../src/platform/kubernetes/rollout.ts';
import { assertNamespaceAllowed, checkAllowlist } from '../../src/platform/kubernetes/safety.ts';

const dir = mkdtempSync(join(tmpdir(), 'firedrill-k8s-unit-'));
function kubeconfig(contexts: { name: string; disposable?: unknown }[]): string {
  const file = join(dir, `kubeconfig-${contexts.map((c) => c.name).join('-')}`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts:',
      ...contexts.map(
        (c) =>
          `  - name: ${c.name}\n    context: {cluster: c, user: u${c.disposable !== undefined ? `, extensions: [{name: firedrill.io/disposable, extension: ${JSON.stringify(c.disposable)}}]` : ''}}`,
      ),
      `current-context: ${contexts[0]!.name}`,
    ].join('\n'),
  );
  return file;
}

describe('deploy plan', () => {
  const plan = loadDeployPlan();

  it('tiers in dependency order, every manifest of deploy/k8s exactly once', () => {
    expect(plan.tiers.map((t) => t.tier)).toEqual([...TIERS]);
    expect(plan.total).toBe(allObjects(plan).length);
    expect(new Set(allObjects(plan).map((o) => `${o.ref.kind}/${o.ref.namespace}/${o.ref.name}`)).size).toBe(
      plan.total,
    );
    const first = plan.tiers[0]!.objects;
    expect(first.filter((o) => o.ref.kind === 'Namespace')).toHaveLength(6);
    expect(first.findIndex((o) => o.ref.kind === 'ResourceQuota')).toBeGreaterThan(
      first.map((o) => o.ref.kind).lastIndexOf('Namespace'),
    );
    expect(plan.tiers[1]!.objects.map((o) => o.ref.name).sort()).toEqual(['archive', 'fast-ssd', 'standard']);
    for (const t of plan.tiers.slice(2))
      for (const o of t.objects) expect(o.ref.namespace).toBe(`slo-scout-${t.tier}`);
  });

  it('within a tier: configuration and claims before workloads, autoscalers and ingresses after', () => {
    const names = plan.tiers
      .find((t) => t.tier === 'monitoring')!
      .objects.map((o) => `${o.ref.kind}/${o.ref.name}`);
    const at = (k: string) => names.indexOf(k);
    expect(at('ConfigMap/prometheus')).toBeLessThan(at('Deployment/prometheus'));
    expect(at('PersistentVolumeClaim/prometheus-data')).toBeLessThan(at('Deployment/prometheus'));
    expect(at('Deployment/grafana')).toBeLessThan(at('Ingress/slo-scout-grafana'));
    const backend = plan.tiers.find((t) => t.tier === 'backend')!.objects.map((o) => o.ref.kind);
    expect(backend.indexOf('HorizontalPodAutoscaler')).toBeGreaterThan(backend.lastIndexOf('Deployment'));
  });

  it('applies the kustomization image rules, and --image overrides them', () => {
    expect(plan.images['slo-scout-backend/api']).toEqual(['slo-scout/api:1.0.0']);
    expect(plan.images['slo-scout-streaming/kafka']).toEqual(['apache/kafka:4.4.0']);
    const custom = loadDeployPlan({
      images: [
        'slo-scout/api=registry.example.com:5000/team/api:1.4.2',
        'slo-scout/ui=ghcr.io/acme/ui@sha256:abc',
      ],
    });
    expect(custom.images['slo-scout-backend/api']).toEqual(['registry.example.com:5000/team/api:1.4.2']);
    expect(custom.images['slo-scout-frontend/ui']).toEqual(['ghcr.io/acme/ui@sha256:abc']);
    expect(custom.images['slo-scout-backend/worker']).toEqual(['slo-scout/worker:1.0.0']);
  });

  it('refuses an --image whose name no container uses, instead of ignoring it', () => {
    expect(() => loadDeployPlan({ images: ['slo-scout/apii=registry.example.com/api:1.4.2'] })).toThrow(
      /^--image slo-scout\/apii=…: no container in .* uses an image named "slo-scout\/apii"; name one of: .*slo-scout\/api, /,
    );
    expect(() => loadDeployPlan({ images: ['constructor=x:1'] })).toThrow(
      /uses an image named "constructor"/,
    );
  });

  it('image rules as kustomize applies them', () => {
    expect(splitImage('localhost:5000/a/b:1.0')).toEqual({
      name: 'localhost:5000/a/b',
      tag: '1.0',
      digest: undefined,
    });
    expect(splitImage('localhost:5000/a/b')).toEqual({ name: 'localhost:5000/a/b', digest: undefined });
    expect(applyImageRules('slo-scout/api', [{ name: 'slo-scout/api', newTag: 'v2' }])).toBe(
      'slo-scout/api:v2',
    );
    expect(applyImageRules('slo-scout/api:v1', [{ name: 'slo-scout/api', newName: 'r.io/api' }])).toBe(
      'r.io/api:v1',
    );
    expect(applyImageRules('redis:7.2', [{ name: 'slo-scout/api', newTag: 'v2' }])).toBe('redis:7.2');
    expect(() => parseImageOverride('slo-scout/api')).toThrow(/is not <name>=<image>/);
  });

  it('refuses an object outside the tiers, without a namespace, or declared twice', () => {
    const ns = (namespace?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', ...(namespace ? { namespace } : {}) },
    });
    expect(() => tierOf(ns('kube-system'))).toThrow(
      /ConfigMap kube-system\/x is in namespace kube-system, which belongs to no tier/,
    );
    expect(() => tierOf(ns())).toThrow(/ConfigMap x has no namespace/);
    expect(() => planFromDocuments([ns('slo-scout-data'), ns('slo-scout-data')])).toThrow(/declared twice/);
    expect(() => planFromDocuments([{ kind: 'ConfigMap' }])).toThrow(
      /lacks apiVersion, kind or metadata.name/,
    );
  });
});

describe('change detection', () => {
  const live = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'x', resourceVersion: '5', uid: 'u', managedFields: [{}], creationTimestamp: 't' },
    data: { a: '1' },
  };
  it('ignores what the server keeps for itself (versions, managed fields, status)', () => {
    const again = {
      ...live,
      metadata: { ...live.metadata, resourceVersion: '9', managedFields: [{ time: 'later' }] },
      status: { x: 1 },
    };
    expect(diffPaths(comparable(live), comparable(again))).toEqual([]);
  });
  it('names the fields that would change', () => {
    const changed = { ...live, data: { a: '2', b: '3' } };
    expect(diffPaths(comparable(live), comparable(changed))).toEqual(['data.a', 'data.b']);
    expect(diffPaths({ l: [1, 2] }, { l: [1] })).toEqual(['l (2 → 1 items)']);
  });
});

describe('what counts as the server rejecting a manifest', () => {
  const e = (status: number, message: string) => new KubeApiError(status, 'x', message, undefined, 'PATCH x');
  it('invalid values, unknown fields (a 500 from server-side apply), unknown kinds', () => {
    expect(isRejection(e(422, 'spec.ports[0].port: Invalid value: 70000'))).toBe(true);
    expect(isRejection(e(400, 'strict decoding error'))).toBe(true);
    expect(
      isRejection(
        e(
          500,
          'failed to create typed patch object (default/typo; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema',
        ),
      ),
    ).toBe(true);
    expect(isRejection(e(404, 'the server does not serve kind Widget in example.com/v1'))).toBe(true);
  });
  it('not: being refused, a missing object, a conflict, an unavailable server', () => {
    for (const status of [401, 403, 404, 409, 429, 500, 503])
      expect(isRejection(e(status, 'etcdserver: request timed out')), String(status)).toBe(false);
    expect(isRejection(new Error('socket hang up'))).toBe(false);
  });
});

describe('rollout status', () => {
  const dep = (spec: number, status: Record<string, unknown>, generation = 2): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'slo-scout-backend', generation },
    spec: { replicas: spec },
    status,
  });
  it('Deployment: current generation observed, every replica updated and Ready, no old one left', () => {
    expect(
      rolloutStatus(dep(3, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3 }))
        .done,
    ).toBe(true);
    expect(
      rolloutStatus(dep(3, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3 })),
    ).toMatchObject({ done: false, detail: '3/3 ready, generation 2 not yet observed' });
    expect(
      rolloutStatus(dep(3, { observedGeneration: 2, replicas: 4, updatedReplicas: 3, readyReplicas: 3 }))
        .done,
    ).toBe(false);
    expect(
      rolloutStatus(dep(3, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 2 }))
        .detail,
    ).toBe('2/3 ready');
  });
  it('surfaces a ReplicaFailure (e.g. the quota refusing pods)', () => {
    const s = rolloutStatus(
      dep(3, {
        observedGeneration: 2,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: 'exceeded quota: compute-quota',
          },
        ],
      }),
    );
    expect(s.detail).toBe('0/3 ready, FailedCreate: exceeded quota: compute-quota');
  });
  it('StatefulSet and DaemonSet', () => {
    const sts: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'kafka', generation: 1 },
      spec: { replicas: 3 },
      status: {
        observedGeneration: 1,
        replicas: 3,
        readyReplicas: 3,
        updatedReplicas: 3,
        currentRevision: 'a',
        updateRevision: 'a',
      },
    };
    expect(rolloutStatus(sts).done).toBe(true);
    expect(rolloutStatus({ ...sts, status: { ...(sts.status as object), readyReplicas: 2 } }).done).toBe(
      false,
    );
    const ds: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'log-collector', generation: 1 },
      spec: {},
      status: { observedGeneration: 1, desiredNumberScheduled: 4, numberReady: 4, updatedNumberScheduled: 4 },
    };
    expect(rolloutStatus(ds)).toMatchObject({ done: true, ready: 4, desired: 4 });
    expect(
      rolloutStatus({ ...ds, status: { ...(ds.status as object), numberReady: 3, numberUnavailable: 1 } })
        .done,
    ).toBe(false);
    expect(rolloutStatus(null, { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'x' })).toMatchObject({
      done: false,
      detail: 'does not exist',
    });
  });
  it('ResourceQuota: ready once the controller has computed its usage (before that, pods are refused)', () => {
    const q = (status?: object): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute-quota' },
      spec: { hard: { 'requests.cpu': '20', 'limits.cpu': '20' } },
      ...(status ? { status } : {}),
    });
    expect(rolloutStatus(q())).toMatchObject({ done: false, detail: 'usage not computed yet' });
    expect(rolloutStatus(q({ hard: { 'requests.cpu': '20', 'limits.cpu': '20' }, used: {} })).done).toBe(
      true,
    );
  });
});

describe('contexts and the disposable marker', () => {
  it('refuses an unknown context, listing the known ones', () => {
    const file = kubeconfig([{ name: 'staging' }, { name: 'prod' }]);
    expect(() => loadContext({ context: 'stagign', kubeconfig: file })).toThrow(
      /^unknown context "stagign" in .*; known contexts: staging, prod$/,
    );
    expect(() => loadContext({ context: 'x', kubeconfig: join(dir, 'nope') })).toThrow(/no kubeconfig found/);
  });

  it('reads the firedrill.io/disposable context extension', () => {
    const file = kubeconfig([
      { name: 'kind', disposable: 'true' },
      { name: 'obj', disposable: { disposable: true } },
      { name: 'prod' },
      { name: 'no', disposable: 'false' },
    ]);
    expect([...disposableContexts([readFileSync(file, 'utf8')])].sort()).toEqual(['kind', 'obj']);
    expect(loadContext({ context: 'kind', kubeconfig: file }).disposable).toBe(true);
    expect(loadContext({ context: 'prod', kubeconfig: file }).disposable).toBe(false);
  });

  // Two files, each with a cluster, a user and a context; `marked` puts the marker on the context.
  const kubeFile = (
    name: string,
    o: { context: string; cluster: string; user: string; marked?: boolean },
  ) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: ${o.cluster}, cluster: {server: "https://${name}.invalid:6443"}}]`,
        `users: [{name: ${o.user}, user: {token: t}}]`,
        'contexts:',
        `  - name: ${o.context}`,
        `    context: {cluster: ${o.cluster}, user: ${o.user}${o.marked ? ', extensions: [{name: firedrill.io/disposable, extension: "true"}]' : ''}}`,
      ].join('\n'),
    );
    return file;
  };

  it("KUBECONFIG=prod.yaml:kind.yaml both defining `drills`: kind's marker does not count for prod", () => {
    const prod = kubeFile('prod.yaml', { context: 'drills', cluster: 'prod', user: 'admin' });
    const kind = kubeFile('kind.yaml', { context: 'drills', cluster: 'kind', user: 'kind', marked: true });
    const loaded = loadContext({ context: 'drills' }, { KUBECONFIG: `${prod}:${kind}` });
    expect(loaded.kc.getCurrentCluster()?.server).toBe('https://prod.yaml.invalid:6443');
    expect(loaded.disposable).toBe(false);
    expect(() => requireChangeAllowed(loaded, undefined, 'drill')).toThrow(/is not marked disposable/);
    // The other order: kind's context, cluster and user win, and its marker is its own.
    expect(loadContext({ context: 'drills' }, { KUBECONFIG: `${kind}:${prod}` }).disposable).toBe(true);
  });

  it('a marked context whose cluster or user an earlier file defines is not disposable', () => {
    const texts = (files: string[]) => files.map((f) => readFileSync(f, 'utf8'));
    const prodCluster = kubeFile('a.yaml', { context: 'other', cluster: 'shared', user: 'admin' });
    const marked = kubeFile('b.yaml', { context: 'drills', cluster: 'shared', user: 'kind', marked: true });
    expect(disposableContexts(texts([prodCluster, marked])).has('drills')).toBe(false);
    const prodUser = kubeFile('c.yaml', { context: 'other', cluster: 'elsewhere', user: 'kind' });
    expect(disposableContexts(texts([prodUser, marked])).has('drills')).toBe(false);
    expect(disposableContexts(texts([marked])).has('drills')).toBe(true);
  });

  it('a context not marked disposable needs --confirm-context naming it', () => {
    const file = kubeconfig([{ name: 'prod' }, { name: 'kind', disposable: true }]);
    const prod = loadContext({ context: 'prod', kubeconfig: file });
    expect(() => requireChangeAllowed(prod, undefined, 'drill')).toThrow(
      /^context "prod" is not marked disposable; pass --confirm-context prod to drill it anyway/,
    );
    expect(() => requireChangeAllowed(prod, 'staging', 'drill')).toThrow(
      /--confirm-context "staging" does not name the target context "prod"/,
    );
    expect(() => requireChangeAllowed(prod, 'prod', 'drill')).not.toThrow();
    expect(() =>
      requireChangeAllowed(loadContext({ context: 'kind', kubeconfig: file }), undefined, 'drill'),
    ).not.toThrow();
  });

  it('a worker in the cluster answers only to the context it is configured for', () => {
    expect(
      servesInCluster('staging', {
        KUBERNETES_SERVICE_HOST: '10.96.0.1',
        FIREDRILL_IN_CLUSTER_CONTEXT: 'staging',
      }),
    ).toBe(true);
    expect(
      servesInCluster('prod', {
        KUBERNETES_SERVICE_HOST: '10.96.0.1',
        FIREDRILL_IN_CLUSTER_CONTEXT: 'staging',
      }),
    ).toBe(false);
    expect(servesInCluster('staging', { FIREDRILL_IN_CLUSTER_CONTEXT: 'staging' })).toBe(false);
  });
});

describe('the platform driver refuses before any request', () => {
  const file = kubeconfig([{ name: 'kind', disposable: 'true' }, { name: 'prod' }]);

  it('an unknown context', () => {
    expect(() => new KubernetesPlatform({ kind: 'kubernetes', context: 'knid', kubeconfig: file })).toThrow(
      /unknown context "knid".*known contexts: kind, prod/,
    );
  });

  it('kube-* is a prefix rule, and default is drilled only when allowlisted by name', () => {
    for (const ns of ['kube-flannel', 'kube-proxy', 'kube-system'])
      expect(() => checkAllowlist([ns])).toThrow(
        `namespace ${ns} cannot be allowlisted; firedrill never touches a kube-* namespace`,
      );
    expect(() => checkAllowlist(['slo-scout-data', 'default'], false)).toThrow(
      /^namespace default is not drilled unless it is allowlisted by name; pass --namespaces default/,
    );
    expect(checkAllowlist(['default'], true)).toEqual(['default']);
    expect(() => checkAllowlist(['../x'])).toThrow(/"..\/x" is not a namespace name/);
  });

  it('a system namespace in the allowlist, and a component outside it', async () => {
    expect(
      () =>
        new KubernetesPlatform({
          kind: 'kubernetes',
          context: 'kind',
          kubeconfig: file,
          namespaces: ['kube-system'],
        }),
    ).toThrow(/namespace kube-system cannot be allowlisted/);
    const p = new KubernetesPlatform({
      kind: 'kubernetes',
      context: 'kind',
      kubeconfig: file,
      namespaces: ['slo-scout-data'],
    });
    await expect(p.kill('kafka', 0)).rejects.toThrow(
      /^namespace slo-scout-streaming is not in the allowlist \(slo-scout-data\)/,
    );
    expect(() => assertNamespaceAllowed('kube-system', checkAllowlist(['slo-scout-streaming']))).toThrow(
      /^namespace kube-system is not in the allowlist \(slo-scout-streaming\)/,
    );
  });

  it('a kill on a context not marked disposable, unless confirmed', async () => {
    const p = new KubernetesPlatform({ kind: 'kubernetes', context: 'prod', kubeconfig: file });
    await expect(p.kill('kafka', 0)).rejects.toThrow(/context "prod" is not marked disposable/);
  });

  it('members are StatefulSet ordinals: broker id n is pod kafka-n', () => {
    const p = new KubernetesPlatform({ kind: 'kubernetes', context: 'kind', kubeconfig: file });
    expect(p.members('kafka')).toEqual([
      { name: 'kafka-0', index: 0 },
      { name: 'kafka-1', index: 1 },
      { name: 'kafka-2', index: 2 },
    ]);
    expect(memberOrdinal('kafka', 2)).toBe(2);
    expect(memberOrdinal('kafka', 'kafka-1')).toBe(1);
    expect(memberOrdinal('kafka', '0')).toBe(0);
    expect(() => memberOrdinal('kafka', 'minio-1')).toThrow(/"minio-1" is not a member of kafka/);
    expect(p.info('kafka')).toMatchObject({
      namespace: 'slo-scout-streaming',
      workload: 'StatefulSet/kafka',
    });
  });

  it('endpoints come from the configured map, never guessed', () => {
    const p = new KubernetesPlatform({
      kind: 'kubernetes',
      context: 'kind',
      kubeconfig: file,
      endpoints: { kafka: { bootstrap: '10.0.0.5:9093' } },
    });
    expect(p.endpoints('kafka')).toEqual({ bootstrap: '10.0.0.5:9093' });
    expect(() => p.endpoints('minio')).toThrow(
      /no endpoints configured for minio on context kind; pass --endpoints <file> or set FIREDRILL_K8S_ENDPOINTS/,
    );
    expect(endpointsFromEnv({ FIREDRILL_K8S_ENDPOINTS: '{"kafka":{"bootstrap":"a:1"}}' })).toEqual({
      kafka: { bootstrap: 'a:1' },
    });
    expect(() => readEndpoints('{"kafka": "a:1"}', 'f.json')).toThrow(/"kafka" must map names to addresses/);
    for (const inherited of ['constructor', 'toString', '__proto__'])
      expect(() => p.endpoints(inherited)).toThrow(
        `no endpoints configured for ${inherited} on context kind`,
      );
    expect(() => endpointsFromEnv({ FIREDRILL_K8S_ENDPOINTS: '/nonexistent.json' })).toThrow(
      /does not exist/,
    );
  });
});

describe('endpoints files are checked field by field before anything connects', () => {
  it.each([
    [
      '{"kafka":{}}',
      /endpoints in f.json: "kafka" has no "bootstrap"; its drills connect through kafka.bootstrap/,
    ],
    ['{"minio":{"console":"x:1"}}', /"minio" has no "s3"/],
    ['{"kafka":{"bootstrap":""}}', /"kafka.bootstrap" must be a non-empty address string/],
    ['{"kafka":{"bootstrap":9093}}', /"kafka.bootstrap" must be a non-empty address string/],
    ['{"kafka":null}', /"kafka" must map names to addresses, not null/],
    ['{"kafka":["a:1"]}', /"kafka" must map names to addresses/],
    ['[]', /must be a JSON object of components/],
    ['null', /must be a JSON object of components/],
    ['{"kafka":', /are not JSON/],
  ])('%s is refused, naming the field', (text, message) =>
    expect(() => readEndpoints(text, 'f.json')).toThrow(message),
  );
  it('keeps a "__proto__" entry as data, not as the prototype of the map', () => {
    const map = readEndpoints('{"__proto__":{"url":"x:1"},"kafka":{"bootstrap":"a:1"}}', 'f.json');
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.keys(map)).toEqual(['__proto__', 'kafka']);
  });
});

describe('run flags', () => {
  it('builds the platform reference, and refuses Kubernetes flags on the local platform', () => {
    expect(platformRefFrom({ sandbox: 'default' })).toEqual({ kind: 'local', sandbox: 'default' });
    expect(
      platformRefFrom({
        platform: 'kubernetes',
        context: 'kind',
        sandbox: 's',
        namespaces: 'slo-scout-streaming, slo-scout-data',
        confirmContext: 'kind',
      }),
    ).toEqual({
      kind: 'kubernetes',
      context: 'kind',
      sandbox: 's',
      namespaces: ['slo-scout-streaming', 'slo-scout-data'],
      confirmContext: 'kind',
    });
    expect(() => platformRefFrom({ sandbox: 'default', context: 'kind' })).toThrow(
      /--context is for --platform kubernetes/,
    );
    expect(() => platformRefFrom({ platform: 'kubernetes', sandbox: 'default' })).toThrow(/needs --context/);
    expect(() => platformRefFrom({ platform: 'nomad', sandbox: 'default' })).toThrow(
      /is not local or kubernetes/,
    );
  });

  it('a drill the platform cannot carry out is refused at planning, naming what is missing', async () => {
    const podDelete = await getDrill('kafka-pod-delete');
    await expect(checkPlatformSupports(podDelete, { kind: 'local' })).rejects.toThrow(
      /drill kafka-pod-delete needs the "self-healing" capability, which the local platform does not have; run it with --platform kubernetes --context <name>/,
    );
    await expect(
      checkPlatformSupports(podDelete, { kind: 'kubernetes', context: 'x' }),
    ).resolves.toBeUndefined();
    // A drill that calls a system's actions needs a platform that offers exactly those actions.
    const restore = await getDrill('timescaledb-restore');
    await expect(checkPlatformSupports(restore, { kind: 'kubernetes', context: 'x' })).rejects.toThrow(
      /needs the "actions" capability and timescaledb actions archived-wal, .*which the kubernetes platform does not have; run it with --platform local/,
    );
    await expect(checkPlatformSupports(restore, { kind: 'local' })).resolves.toBeUndefined();
  });
});
