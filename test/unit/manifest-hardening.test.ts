// What deploy/k8s promises a platform engineer beyond kube-score's checks (issue 14): spread
// required where the seed asks for it, writes that cannot land on a TimescaleDB replica, no
// default credential, no container without its securityContext or a floating image. kube-score
// itself runs in the e2e tier (test/e2e/kube-score.test.ts), after setup has built it.
import { describe, expect, it } from 'vitest';
import { allObjects, loadDeployPlan, splitImage } from '../../src/platform/kubernetes/plan.ts';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const objects = allObjects(loadDeployPlan()).map((o) => o.manifest as Doc);
const find = (kind: string, namespace: string, name: string): Doc => {
  const d = objects.find(
    (o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name,
  );
  if (!d) throw new Error(`${kind} ${namespace}/${name} is not in deploy/k8s`);
  return d;
};
const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind));
const required = (d: Doc) =>
  (d.spec.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ??
    []) as Doc[];

describe('spread (seed: High Availability Configuration)', () => {
  it.each([
    ['slo-scout-streaming', 'kafka', 'topology.kubernetes.io/zone'],
    ['slo-scout-data', 'timescaledb', 'kubernetes.io/hostname'],
    ['slo-scout-data', 'minio', 'kubernetes.io/hostname'],
  ])('%s/%s: required pod anti-affinity on %s against its own pods', (ns, name, key) => {
    const terms = required(find('StatefulSet', ns, name));
    expect(terms).toEqual([{ topologyKey: key, labelSelector: { matchLabels: { app: name } } }]);
  });

  it("Kafka's broker.rack is its node's zone, the key its brokers are spread over", () => {
    const kafka = find('StatefulSet', 'slo-scout-streaming', 'kafka');
    expect(kafka.metadata.annotations['firedrill.io/broker-rack']).toContain(required(kafka)[0]!.topologyKey);
  });

  it('every replicated data workload has a PodDisruptionBudget that keeps its quorum', () => {
    const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    const budget = (ns: string, app: string) =>
      budgets.find((b) => b.metadata.namespace === ns && b.spec.selector.matchLabels.app === app)?.spec;
    expect(budget('slo-scout-streaming', 'kafka')).toMatchObject({ maxUnavailable: 1 }); // min ISR 2 of 3
    expect(budget('slo-scout-data', 'timescaledb')).toMatchObject({ maxUnavailable: 1 });
    expect(budget('slo-scout-data', 'minio')).toMatchObject({ maxUnavailable: 1 }); // write quorum 3 of 4
    expect(budget('slo-scout-data', 'milvus')).toMatchObject({ maxUnavailable: 0 });
    expect(budget('slo-scout-data', 'redis')).toMatchObject({ maxUnavailable: 0 });
  });
});

describe('TimescaleDB Services: writes reach the primary only', () => {
  const svc = (name: string) => find('Service', 'slo-scout-data', name).spec;
  it('the StatefulSet names a headless Service over every member', () => {
    const sts = find('StatefulSet', 'slo-scout-data', 'timescaledb');
    const headless = svc(sts.spec.serviceName);
    expect(headless.clusterIP).toBe('None');
    expect(headless.selector).toEqual({ app: 'timescaledb' });
  });
  it("timescaledb selects Patroni's primary, timescaledb-replicas its replicas", () => {
    expect(svc('timescaledb').selector).toEqual({ app: 'timescaledb', role: 'master' });
    expect(svc('timescaledb-replicas').selector).toEqual({ app: 'timescaledb', role: 'replica' });
  });
});

describe('containers', () => {
  const containers = workloads.flatMap((d) =>
    (d.spec.template.spec.containers as Doc[]).map((c) => ({
      where: `${d.metadata.namespace}/${d.metadata.name}`,
      d,
      c,
    })),
  );

  it('every container drops all capabilities and cannot escalate; only the log collector runs as root', () => {
    for (const { where, d, c } of containers) {
      expect(c.securityContext, where).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const pod = d.spec.template.spec.securityContext;
      expect(pod.seccompProfile, where).toEqual({ type: 'RuntimeDefault' });
      if (d.metadata.name === 'log-collector') continue;
      expect([pod.runAsNonRoot, pod.runAsUser > 0], where).toEqual([true, true]);
    }
  });

  it('every data workload probes readiness and liveness differently', () => {
    for (const { where, c } of containers.filter(({ d }) =>
      ['kafka', 'timescaledb', 'milvus', 'minio', 'redis'].includes(d.metadata.name),
    )) {
      expect(c.readinessProbe, where).toBeDefined();
      expect(c.livenessProbe, where).toBeDefined();
      expect(c.readinessProbe, where).not.toEqual(c.livenessProbe);
    }
  });

  it('no credential is written in a manifest: MinIO and Grafana read theirs from Secrets', () => {
    for (const { where, c } of containers)
      for (const e of (c.env ?? []) as Doc[])
        if (/PASSWORD|SECRET|ROOT_USER|ADMIN_USER/.test(e.name))
          expect(e.valueFrom?.secretKeyRef?.name, `${where} ${e.name}`).toBeTruthy();
    const secretOf = (ns: string, name: string, env: string) =>
      (
        find(ns === 'slo-scout-data' ? 'StatefulSet' : 'Deployment', ns, name).spec.template.spec
          .containers[0].env as Doc[]
      ).find((e) => e.name === env)?.valueFrom?.secretKeyRef;
    expect(secretOf('slo-scout-data', 'minio', 'MINIO_ROOT_PASSWORD')).toEqual({
      name: 'minio-credentials',
      key: 'root-password',
    });
    expect(secretOf('slo-scout-monitoring', 'grafana', 'GF_SECURITY_ADMIN_PASSWORD')).toEqual({
      name: 'grafana-admin',
      key: 'admin-password',
    });
  });

  it("no image floats: every one, SLO-Scout's own included, has a release tag or a digest", () => {
    for (const { where, c } of containers) {
      const { tag, digest } = splitImage(c.image);
      expect(digest ?? tag, `${where} ${c.image}`).toBeTruthy();
      expect(tag, `${where} ${c.image}`).not.toMatch(/^(latest|pg\d+|\d+(\.\d+)?)$/); // not a moving major/minor
    }
  });
});
