// The topology model against the seed (../shared/seeds/000_09f7162f861b8f5a.txt): the manifests
// under deploy/k8s are the single source of truth, so these checks are what keeps them honest.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  component,
  drTarget,
  loadManifests,
  loadTopology,
  MANIFEST_DIR,
  parseDrTargets,
  parseTopology,
} from '../../src/topology/index.ts';

const topology = loadTopology();
/** The seed sizes pods by CPU and memory; the manifests add an ephemeral-storage bound of their own. */
const seedSize = (r: Record<string, string>) => ({ cpu: r.cpu, memory: r.memory });

describe('namespaces (seed: Namespace Organization)', () => {
  const expected: Record<string, [string, string]> = {
    'slo-scout-collectors': ['10', '20Gi'],
    'slo-scout-streaming': ['40', '80Gi'],
    'slo-scout-data': ['20', '60Gi'],
    'slo-scout-backend': ['20', '40Gi'],
    'slo-scout-frontend': ['2', '2Gi'],
    'slo-scout-monitoring': ['10', '20Gi'],
  };
  it('has exactly the six namespaces with their quotas', () => {
    expect(topology.namespaces.map((n) => n.name).sort()).toEqual(Object.keys(expected).sort());
    for (const ns of topology.namespaces) {
      expect([ns.quota.cpu, ns.quota.memory], ns.name).toEqual(expected[ns.name]);
    }
  });
});

describe('high availability (seed: High Availability Configuration)', () => {
  it('Kafka: 3 replicas, RF 3, min ISR 2, unclean leader election off', () => {
    const kafka = component(topology, 'kafka');
    expect(kafka.kind).toBe('StatefulSet');
    expect(kafka.namespace).toBe('slo-scout-streaming');
    expect(kafka.replicas).toBe(3);
    expect(kafka.env.KAFKA_DEFAULT_REPLICATION_FACTOR).toBe('3');
    expect(kafka.env.KAFKA_MIN_INSYNC_REPLICAS).toBe('2');
    expect(kafka.env.KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE).toBe('false');
    expect(seedSize(kafka.resources.requests)).toEqual({ cpu: '2', memory: '4Gi' });
    expect(kafka.storage).toEqual([{ name: 'kafka-data', size: '100Gi', storageClass: 'fast-ssd' }]);
    expect(kafka.ports.map((p) => p.port)).toEqual(expect.arrayContaining([9092, 9093]));
  });

  it('TimescaleDB: 1 primary + 2 replicas under Patroni', () => {
    const tsdb = component(topology, 'timescaledb');
    expect(tsdb.replicas).toBe(3);
    expect(tsdb.annotations['firedrill.io/ha']).toBe('patroni: 1 primary + 2 replicas');
    expect(tsdb.configFiles['patroni.yaml']).toMatch(/ttl: 30/);
    expect(seedSize(tsdb.resources.limits)).toEqual({ cpu: '4', memory: '16Gi' });
    expect(tsdb.storage[0]).toMatchObject({ size: '500Gi', storageClass: 'fast-ssd' });
  });

  it('MinIO: 4 nodes, erasure coding with 2 parity', () => {
    const minio = component(topology, 'minio');
    expect(minio.replicas).toBe(4);
    expect(minio.env.MINIO_STORAGE_CLASS_STANDARD).toBe('EC:2');
    expect(minio.storage[0]).toMatchObject({ size: '1Ti', storageClass: 'standard' });
    expect(minio.ports.map((p) => p.port)).toEqual([9000, 9001]);
  });

  it('Milvus: standalone, one replica', () => {
    const milvus = component(topology, 'milvus');
    expect(milvus.replicas).toBe(1);
    expect(milvus.ports.map((p) => p.port)).toEqual([19530, 9091]);
  });
});

describe('disaster recovery (seed: Backup Strategy table)', () => {
  const H = 3_600_000;
  it.each([
    ['kafka', 'broker-loss', 5 * 60_000, 0, 'Continuous replication', '7d'],
    ['timescaledb', 'restore', H, H, 'hourly incremental', '30d'],
    ['milvus', 'restore', 4 * H, 24 * H, 'daily snapshots', '7d'],
    ['minio', 'restore', H, 0, 'cross-region replication', '90d'],
  ])('%s %s: RTO %d ms, RPO %d ms', (name, scenario, rto, rpo, backup, retention) => {
    const c = component(topology, name);
    const target = drTarget(c, scenario);
    expect(target.rtoMs).toBe(rto);
    expect(target.rpoMs).toBe(rpo);
    expect(target.source).toMatch(/^seed: /);
    expect(c.annotations['firedrill.io/backup']!.toLowerCase()).toContain(backup.toLowerCase());
    expect(c.annotations['firedrill.io/retention']).toBe(retention);
  });

  it('TimescaleDB failover: RTO 30 s with the RPO left to be reported', () => {
    const target = drTarget(component(topology, 'timescaledb'), 'failover');
    expect(target).toMatchObject({ rtoMs: 30_000, rpoMs: null });
  });

  it('names the fix when a scenario has no target', () => {
    expect(() => drTarget(component(topology, 'kafka'), 'meteor')).toThrow(
      /declares no DR target.*broker-loss/,
    );
  });
});

describe('parsing', () => {
  it('rejects an unknown component with the list of known ones', () => {
    expect(() => component(topology, 'kafak')).toThrow(
      /"kafak" is not in the topology; known components: .*kafka/,
    );
  });

  it('rejects DR targets with a missing field or an unparsable duration', () => {
    expect(() => parseDrTargets('- scenario: x\n  rto: 5m\n  source: s', 'w')).toThrow(/missing "rpo"/);
    expect(() => parseDrTargets('- {scenario: x, rto: soon, rpo: 0, source: s}', 'w')).toThrow(
      /cannot parse "soon"/,
    );
    expect(() => parseDrTargets('- {scenario: x, rto: -5m, rpo: 0, source: s}', 'w')).toThrow(
      /rto: cannot parse "-5m"/,
    );
  });

  it('builds components from documents it is given, without reading files', () => {
    const t = parseTopology([
      {
        kind: 'Deployment',
        metadata: { name: 'ui', namespace: 'slo-scout-frontend' },
        spec: {
          replicas: 2,
          template: { spec: { containers: [{ image: 'ui:1', ports: [{ containerPort: 80 }] }] } },
        },
      },
    ]);
    expect(t.components[0]).toMatchObject({
      name: 'ui',
      replicas: 2,
      ports: [{ name: '80', port: 80 }],
      drTargets: [],
    });
  });
});

// ---------- the whole topology (issue 7): every component of the seed's diagram ----------

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const docs = loadManifests() as Doc[];
const find = (kind: string, namespace: string, name: string): Doc => {
  const d = docs.find(
    (x) => x.kind === kind && x.metadata.namespace === namespace && x.metadata.name === name,
  );
  if (!d) throw new Error(`${kind} ${namespace}/${name} is not in deploy/k8s`);
  return d;
};

describe('workloads (seed: the deployment diagram)', () => {
  // [namespace, name, kind, replicas (null = per node), cpu, memory, container ports]
  const seed: [string, string, string, number | null, string, string, number[]][] = [
    ['slo-scout-collectors', 'prometheus-collector', 'Deployment', 2, '500m', '512Mi', [9090]],
    ['slo-scout-collectors', 'otlp-collector', 'Deployment', 3, '1', '1Gi', [4317, 4318]],
    ['slo-scout-collectors', 'log-collector', 'DaemonSet', null, '200m', '256Mi', [8080]],
    ['slo-scout-streaming', 'kafka', 'StatefulSet', 3, '2', '4Gi', [9092, 9093]],
    ['slo-scout-streaming', 'flink-jobmanager', 'Deployment', 1, '1', '2Gi', [6123, 8081]],
    ['slo-scout-streaming', 'flink-taskmanager', 'Deployment', 4, '4', '8Gi', []],
    ['slo-scout-streaming', 'schema-registry', 'Deployment', 2, '500m', '512Mi', [8081]],
    ['slo-scout-data', 'milvus', 'StatefulSet', 1, '2', '8Gi', [19530, 9091]],
    ['slo-scout-data', 'minio', 'StatefulSet', 4, '1', '2Gi', [9000, 9001]],
    ['slo-scout-data', 'redis', 'Deployment', 1, '500m', '1Gi', [6379]],
    ['slo-scout-backend', 'api', 'Deployment', 3, '2', '4Gi', [8000]],
    ['slo-scout-backend', 'worker', 'Deployment', 2, '2', '4Gi', []],
    ['slo-scout-backend', 'embedding-service', 'Deployment', 2, '4', '8Gi', [8001]],
    ['slo-scout-frontend', 'ui', 'Deployment', 2, '200m', '512Mi', [80]],
    ['slo-scout-monitoring', 'prometheus', 'Deployment', 1, '2', '8Gi', [9090]],
    ['slo-scout-monitoring', 'grafana', 'Deployment', 1, '500m', '1Gi', [3000]],
    ['slo-scout-monitoring', 'alertmanager', 'Deployment', 2, '200m', '512Mi', [9093]],
  ];
  it.each(seed)(
    '%s/%s: %s, replicas %s, CPU %s, memory %s',
    (ns, name, kind, replicas, cpu, memory, ports) => {
      const c = component(topology, name);
      expect([c.namespace, c.kind, c.replicas]).toEqual([ns, kind, replicas]);
      expect(seedSize(c.resources.requests)).toEqual({ cpu, memory });
      expect(seedSize(c.resources.limits)).toEqual({ cpu, memory });
      expect(c.ports.map((p) => p.port)).toEqual(expect.arrayContaining(ports));
    },
  );

  it('TimescaleDB: the seed size is the limit; requests fit the quota with 3 Patroni members (documented)', () => {
    const tsdb = component(topology, 'timescaledb');
    expect({ requests: seedSize(tsdb.resources.requests), limits: seedSize(tsdb.resources.limits) }).toEqual({
      requests: { cpu: '4', memory: '14Gi' },
      limits: { cpu: '4', memory: '16Gi' },
    });
    expect(
      find('StatefulSet', 'slo-scout-data', 'timescaledb').spec.template.spec.containers[0].resources,
    ).toBeDefined();
    expect(readFileSync(join(MANIFEST_DIR, '20-data.yaml'), 'utf8')).toMatch(
      /exceeds the namespace's 60Gi\s+# quota/,
    );
  });

  it('the seed workload list is complete: no workload in the manifests that the seed does not draw', () => {
    expect(topology.components.map((c) => c.name).sort()).toEqual(
      // kafka-controller: the KRaft quorum's 2 extra voters, which the seed's HA promise for Kafka
      // (RF 3, min ISR 2 observable after losing 2 brokers) needs though its diagram omits them.
      [...seed.map((s) => s[1]), 'timescaledb', 'kafka-controller'].sort(),
    );
  });

  it('Flink: 4 TaskManagers x 4 slots = parallelism 16', () => {
    const props = find('ConfigMap', 'slo-scout-streaming', 'flink-config').data.FLINK_PROPERTIES as string;
    expect(props).toMatch(/taskmanager\.numberOfTaskSlots: 4\n/);
    expect(props).toMatch(/parallelism\.default: 16\n/);
    expect(component(topology, 'flink-taskmanager').annotations['firedrill.io/parallelism']).toBe('16');
  });

  it('log-collector reads the node logs through hostPath /var/log', () => {
    const pod = find('DaemonSet', 'slo-scout-collectors', 'log-collector').spec.template.spec;
    expect(pod.volumes.find((v: Doc) => v.hostPath)?.hostPath.path).toBe('/var/log');
  });

  it('embedding-service: GPU optional (tolerates and prefers GPU nodes, requests none)', () => {
    const d = find('Deployment', 'slo-scout-backend', 'embedding-service');
    expect(d.metadata.annotations['firedrill.io/gpu']).toBe('optional');
    expect(d.spec.template.spec.tolerations).toEqual([expect.objectContaining({ key: 'nvidia.com/gpu' })]);
    expect(JSON.stringify(d.spec.template.spec.containers[0].resources)).not.toContain('nvidia.com/gpu');
  });

  it('volumes: the seed sizes and classes', () => {
    const pvc = (ns: string, name: string) => find('PersistentVolumeClaim', ns, name).spec;
    expect(pvc('slo-scout-monitoring', 'prometheus-data').resources.requests.storage).toBe('100Gi');
    expect(pvc('slo-scout-monitoring', 'grafana-data').resources.requests.storage).toBe('10Gi');
    expect(pvc('slo-scout-data', 'redis-data').resources.requests.storage).toBe('10Gi');
    expect(component(topology, 'milvus').storage[0]).toMatchObject({
      size: '200Gi',
      storageClass: 'fast-ssd',
    });
    expect(topology.storageClasses.sort()).toEqual(['archive', 'fast-ssd', 'standard']);
  });

  it('every container declares CPU, memory and ephemeral-storage requests and limits (the quotas count limits too)', () => {
    for (const d of docs.filter((x) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(x.kind))) {
      for (const c of d.spec.template.spec.containers) {
        for (const which of ['requests', 'limits'])
          expect(Object.keys(c.resources?.[which] ?? {}).sort(), `${d.metadata.name}/${c.name}`).toEqual([
            'cpu',
            'ephemeral-storage',
            'memory',
          ]);
      }
    }
  });

  it("SLO-Scout's own images are parameters (kustomize images), infrastructure images upstream", () => {
    const kustomization = parseYaml(readFileSync(join(MANIFEST_DIR, 'kustomization.yaml'), 'utf8'));
    const params = (kustomization.images as { name: string }[]).map((i) => i.name).sort();
    expect(params).toEqual([
      'slo-scout/api',
      'slo-scout/embedding-service',
      'slo-scout/prometheus-collector',
      'slo-scout/ui',
      'slo-scout/worker',
    ]);
    for (const c of topology.components) {
      if (c.image.startsWith('slo-scout/')) expect(params, c.name).toContain(c.image.split(':')[0]);
      else expect(c.image, c.name).toMatch(/^[a-z0-9./-]+:[\w.-]+$/); // upstream, pinned tag
    }
  });
});

describe('services (seed: ClusterIP, headless, LoadBalancer)', () => {
  const svc = (ns: string, name: string) =>
    topology.services.find((s) => s.namespace === ns && s.name === name);
  it.each([
    ['slo-scout-collectors', 'prometheus-collector', 'ClusterIP', [9090]],
    ['slo-scout-collectors', 'otlp-collector', 'ClusterIP', [4317, 4318]],
    ['slo-scout-collectors', 'log-collector', 'ClusterIP', [8080]],
    ['slo-scout-streaming', 'kafka-headless', 'Headless', [9092, 9094]],
    ['slo-scout-streaming', 'kafka', 'LoadBalancer', [9093]],
    ['slo-scout-streaming', 'flink-jobmanager', 'ClusterIP', [6123, 8081]],
    ['slo-scout-streaming', 'schema-registry', 'ClusterIP', [8081]],
    ['slo-scout-data', 'timescaledb', 'ClusterIP', [5432]],
    ['slo-scout-data', 'milvus', 'ClusterIP', [19530, 9091]],
    ['slo-scout-data', 'minio', 'ClusterIP', [9000, 9001]],
    ['slo-scout-data', 'minio-external', 'LoadBalancer', [9000, 9001]],
    ['slo-scout-data', 'redis', 'ClusterIP', [6379]],
    ['slo-scout-backend', 'api', 'ClusterIP', [8000]],
    ['slo-scout-backend', 'embedding-service', 'ClusterIP', [8001]],
    ['slo-scout-frontend', 'ui', 'ClusterIP', [80]],
    ['slo-scout-monitoring', 'prometheus', 'ClusterIP', [9090]],
    ['slo-scout-monitoring', 'prometheus-external', 'LoadBalancer', [9090]],
    ['slo-scout-monitoring', 'grafana', 'ClusterIP', [3000]],
    ['slo-scout-monitoring', 'grafana-external', 'LoadBalancer', [3000]],
    ['slo-scout-monitoring', 'alertmanager', 'ClusterIP', [9093]],
  ] as const)('%s/%s: %s on %j', (ns, name, type, ports) => {
    const s = svc(ns, name);
    expect(s, `${ns}/${name}`).toBeDefined();
    expect(s!.type).toBe(type);
    expect(s!.ports.map((p) => p.port)).toEqual(ports);
  });

  it('every Service selects a workload of its namespace (but for labels its system sets at run time)', () => {
    for (const s of topology.services) {
      // timescaledb / timescaledb-replicas select Patroni's role label, which no template carries.
      const runtime = docs.find(
        (d) => d.kind === 'Service' && d.metadata.namespace === s.namespace && d.metadata.name === s.name,
      )!.metadata.annotations?.['firedrill.io/runtime-selector'] as string | undefined;
      const staticSelector = Object.entries(s.selector).filter(([k]) => !runtime?.startsWith(`${k}:`));
      const pods = docs.filter(
        (d) =>
          ['Deployment', 'StatefulSet', 'DaemonSet'].includes(d.kind) && d.metadata.namespace === s.namespace,
      );
      const match = pods.some((d) =>
        staticSelector.every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect(match, `${s.namespace}/${s.name}`).toBe(true);
    }
  });
});

describe('autoscaling and ingress (seed: Scaling Strategy, Ingress Routes)', () => {
  it('api: HPA 3-10 replicas on CPU 70 % and 1000 requests/s per pod', () => {
    const hpa = find('HorizontalPodAutoscaler', 'slo-scout-backend', 'api').spec;
    expect([hpa.scaleTargetRef.kind, hpa.scaleTargetRef.name, hpa.minReplicas, hpa.maxReplicas]).toEqual([
      'Deployment',
      'api',
      3,
      10,
    ]);
    expect(hpa.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
      {
        type: 'Pods',
        pods: {
          metric: { name: 'http_requests_per_second' },
          target: { type: 'AverageValue', averageValue: '1000' },
        },
      },
    ]);
  });

  it('flink-taskmanager: HPA 4-20 replicas on Kafka consumer lag 1000', () => {
    const hpa = find('HorizontalPodAutoscaler', 'slo-scout-streaming', 'flink-taskmanager').spec;
    expect([hpa.scaleTargetRef.name, hpa.minReplicas, hpa.maxReplicas]).toEqual(['flink-taskmanager', 4, 20]);
    expect(hpa.metrics).toEqual([
      {
        type: 'External',
        external: {
          metric: { name: 'kafka_consumer_lag' },
          target: { type: 'AverageValue', averageValue: '1000' },
        },
      },
    ]);
  });

  it('routes /, /api/v1, /otlp and /grafana on one host, TLS from cert-manager', () => {
    const routes: Record<string, string> = {};
    for (const ing of docs.filter((d) => d.kind === 'Ingress')) {
      expect(ing.metadata.annotations['cert-manager.io/cluster-issuer'], ing.metadata.name).toBeTruthy();
      expect(ing.spec.tls[0].hosts).toEqual(['slo-scout.example.com']);
      for (const rule of ing.spec.rules) {
        expect(rule.host).toBe('slo-scout.example.com');
        for (const p of rule.http.paths)
          routes[p.path] =
            `${ing.metadata.namespace}/${p.backend.service.name}:${p.backend.service.port.number}`;
      }
    }
    expect(routes).toEqual({
      '/': 'slo-scout-frontend/ui:80',
      '/api/v1': 'slo-scout-backend/api:8000',
      '/otlp(/|$)(.*)': 'slo-scout-collectors/otlp-collector:4318',
      '/grafana': 'slo-scout-monitoring/grafana:3000',
    });
  });
});

// ---------- resource quotas: the sum of what each namespace asks for must fit ----------

/** CPU in millicores, memory in MiB. */
function quantity(q: string | number, what: 'cpu' | 'memory'): number {
  const s = String(q);
  const m = /^([\d.]+)([a-zA-Z]*)$/.exec(s);
  if (!m) throw new Error(`cannot parse ${what} "${s}"`);
  const n = Number(m[1]);
  const unit = m[2]!;
  if (what === 'cpu') return unit === 'm' ? n : n * 1000;
  const mib: Record<string, number> = { Mi: 1, Gi: 1024, Ti: 1024 * 1024 };
  if (!(unit in mib)) throw new Error(`memory unit "${unit}" of "${s}"`);
  return n * mib[unit]!;
}

interface Usage {
  cpu: number;
  memory: number;
}

function podSize(d: Doc, which: 'requests' | 'limits'): Usage {
  const cs = d.spec.template.spec.containers as Doc[];
  return {
    cpu: cs.reduce((a, c) => a + quantity(c.resources[which].cpu, 'cpu'), 0),
    memory: cs.reduce((a, c) => a + quantity(c.resources[which].memory, 'memory'), 0),
  };
}

/** A namespace's total at the seed's replicas (DaemonSets: one pod on each of `nodes`). */
function usage(ns: string, which: 'requests' | 'limits', nodes: number): Usage {
  const total = { cpu: 0, memory: 0 };
  for (const d of docs.filter(
    (x) => x.metadata.namespace === ns && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(x.kind),
  )) {
    const n = d.kind === 'DaemonSet' ? nodes : (d.spec.replicas ?? 1);
    const p = podSize(d, which);
    total.cpu += n * p.cpu;
    total.memory += n * p.memory;
  }
  return total;
}

const quota = (ns: string): Record<string, Usage> => {
  const hard = find('ResourceQuota', ns, 'compute-quota').spec.hard;
  return {
    requests: {
      cpu: quantity(hard['requests.cpu'], 'cpu'),
      memory: quantity(hard['requests.memory'], 'memory'),
    },
    limits: { cpu: quantity(hard['limits.cpu'], 'cpu'), memory: quantity(hard['limits.memory'], 'memory') },
  };
};

describe('resource quotas (the arithmetic of the report)', () => {
  // namespace → [requests CPU (m), requests memory (MiB), limits memory (MiB)] at the seed's
  // replicas; collectors with 4 nodes (the test cluster's), the DaemonSet adds 200m/256Mi per node.
  const G = 1024;
  const expected: Record<string, [number, number, number]> = {
    'slo-scout-collectors': [4_000 + 4 * 200, 4 * G + 4 * 256, 4 * G + 4 * 256],
    // Kafka's two controller-only voters (kafka-controller, 1 CPU / 2Gi each) included.
    'slo-scout-streaming': [26_000, 51 * G, 51 * G],
    'slo-scout-data': [18_500, 59 * G, 65 * G],
    'slo-scout-backend': [18_000, 36 * G, 36 * G],
    'slo-scout-frontend': [400, 1 * G, 1 * G],
    'slo-scout-monitoring': [2_900, 10 * G, 10 * G],
  };

  it.each(Object.entries(expected))(
    '%s: requests and limits fit its quota',
    (ns, [cpu, memory, limitMemory]) => {
      const req = usage(ns, 'requests', 4);
      const lim = usage(ns, 'limits', 4);
      expect([req.cpu, req.memory, lim.memory]).toEqual([cpu, memory, limitMemory]);
      const q = quota(ns);
      expect(req.cpu).toBeLessThanOrEqual(q.requests!.cpu);
      expect(req.memory).toBeLessThanOrEqual(q.requests!.memory);
      expect(lim.cpu).toBeLessThanOrEqual(q.limits!.cpu);
      expect(lim.memory).toBeLessThanOrEqual(q.limits!.memory);
    },
  );

  it('the data namespace keeps the seed quota on requests; its limits quota is the seed pod sizes (documented)', () => {
    const d = find('ResourceQuota', 'slo-scout-data', 'compute-quota');
    expect(d.metadata.annotations['firedrill.io/seed-quota']).toBe('CPU 20, Mem 60Gi');
    expect(d.spec.hard).toEqual({
      'requests.cpu': '20',
      'requests.memory': '60Gi',
      'limits.cpu': '20',
      'limits.memory': '65Gi',
    });
    // With the seed's 16Gi requested by each of the 3 TimescaleDB members, it would not fit:
    expect(3 * 16 * G + 8 * G + 4 * 2 * G + 1 * G).toBeGreaterThan(60 * G);
  });

  it('the log-collector DaemonSet fits the collectors quota up to 30 nodes', () => {
    const q = quota('slo-scout-collectors').requests!;
    const fits = (nodes: number) =>
      usage('slo-scout-collectors', 'requests', nodes).cpu <= q.cpu &&
      usage('slo-scout-collectors', 'requests', nodes).memory <= q.memory;
    expect(fits(30)).toBe(true);
    expect(fits(31)).toBe(false);
    expect(
      find('DaemonSet', 'slo-scout-collectors', 'log-collector').metadata.annotations[
        'firedrill.io/quota-ceiling'
      ],
    ).toBe('30 nodes');
  });

  it.each([
    ['slo-scout-backend', 'api', 4],
    ['slo-scout-streaming', 'flink-taskmanager', 7],
  ])(
    '%s/%s: the HPA maximum is capped by the quota at %i replicas (recorded, not hidden)',
    (ns, name, ceiling) => {
      const d = find('Deployment', ns, name);
      const others = usage(ns, 'requests', 4);
      const pod = podSize(d, 'requests');
      others.cpu -= d.spec.replicas * pod.cpu;
      others.memory -= d.spec.replicas * pod.memory;
      const q = quota(ns).requests!;
      const fit = Math.min(
        Math.floor((q.cpu - others.cpu) / pod.cpu),
        Math.floor((q.memory - others.memory) / pod.memory),
      );
      expect(fit).toBe(ceiling);
      expect(fit).toBeLessThan(find('HorizontalPodAutoscaler', ns, name).spec.maxReplicas);
      expect(d.metadata.annotations['firedrill.io/quota-ceiling']).toBe(String(ceiling));
    },
  );

  it("a rolling update's surge pod fits the quota, or the Deployment does not surge", () => {
    for (const d of docs.filter((x) => x.kind === 'Deployment')) {
      const ns = d.metadata.namespace;
      const strategy = d.spec.strategy ?? { type: 'RollingUpdate' };
      if (strategy.type === 'Recreate') continue;
      const surgeSpec = strategy.rollingUpdate?.maxSurge ?? '25%';
      const surge =
        typeof surgeSpec === 'number'
          ? surgeSpec
          : Math.ceil((d.spec.replicas * parseInt(surgeSpec, 10)) / 100);
      const pod = podSize(d, 'requests');
      const total = usage(ns, 'requests', 4);
      const q = quota(ns).requests!;
      const fits = total.cpu + surge * pod.cpu <= q.cpu && total.memory + surge * pod.memory <= q.memory;
      expect(
        fits || surge === 0,
        `${ns}/${d.metadata.name}: a surge of ${surge} pod(s) exceeds the quota`,
      ).toBe(true);
      if (surge === 0)
        expect(strategy.rollingUpdate.maxUnavailable, d.metadata.name).toBeGreaterThanOrEqual(1);
    }
  });
});
