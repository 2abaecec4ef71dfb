// deploy/k8s's NetworkPolicies against the seed's diagram (../shared/seeds/000_09f7162f861b8f5a.txt):
// every arrow of it is allowed, every flow a system needs inside itself and the firedrill runner's
// are allowed (each named as such), and nothing else is: the allowed set over every pod of the
// topology, the runner, the ingress controller, a stranger pod and an outside address is exactly
// the list below. The test node's CNI (bridge) enforces no policy, so the intent is checked here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { allObjects, loadDeployPlan } from '../../src/platform/kubernetes/plan.ts';
import type { KubeObject } from '../../src/platform/kubernetes/objects.ts';
import { REPO_ROOT } from '../../src/topology/load.ts';
import {
  PolicyEvaluator,
  type Endpoint,
  type Flow,
  type Labels,
  type NetworkPolicy,
} from './network-policy-eval.ts';

type Doc = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const objects = allObjects(loadDeployPlan()).map((o) => o.manifest as Doc);
const runnerDocs = ['namespace.yaml', 'worker.yaml'].flatMap((f) =>
  parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'runner', f), 'utf8'))
    .map((d) => d.toJS() as Doc)
    .filter(Boolean),
);
const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicy[];
const SLO_SCOUT_NAMESPACES = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);

/** The pods a workload runs (a CronJob's through its job template). */
function podOf(d: Doc): Endpoint {
  const pod = d.kind === 'CronJob' ? d.spec.jobTemplate.spec.template : d.spec.template;
  const namespace = d.metadata.namespace!;
  return {
    name: `${namespace.replace(/^slo-scout-/, '')}/${d.metadata.name}`,
    namespace,
    labels: pod.metadata.labels,
    ports: pod.spec.containers.flatMap((c: Doc) => c.ports ?? []),
  };
}
// Jobs and CronJobs too: the kafka-topics Job talks to the brokers, backups run as CronJobs.
const isWorkload = (d: Doc) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(d.kind);
const pods = new Map(objects.filter(isWorkload).map((d) => [podOf(d).name, podOf(d)]));
const runnerWorkload = runnerDocs.find(
  (d) => d.kind === 'Deployment' && d.metadata.name === 'firedrill-worker',
)!;

// Sources outside the topology.
const outsiders: Record<string, Endpoint> = {
  runner: { ...podOf(runnerWorkload), name: 'runner' },
  nginx: {
    name: 'nginx',
    namespace: 'ingress-nginx',
    labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
  },
  stranger: { name: 'stranger', namespace: 'default', labels: { app: 'curl' } },
  outside: { name: 'outside', labels: {}, ip: '203.0.113.7' }, // an address beyond a LoadBalancer
};
const endpoint = (name: string): Endpoint => {
  const e = pods.get(name) ?? outsiders[name];
  if (!e) throw new Error(`no pod or outsider "${name}" (known: ${[...pods.keys()].join(', ')})`);
  return e;
};

const namespaceLabels = (ns: string): Labels => {
  const declared = [...objects, ...runnerDocs].find((o) => o.kind === 'Namespace' && o.metadata.name === ns);
  return { ...(declared?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns };
};

/** [from, to, port, protocol?] */
type Arrow = [string, string, number | string, ('TCP' | 'UDP')?];
const flow = ([from, to, port, protocol]: Arrow): Flow => ({
  from: endpoint(from),
  to: endpoint(to),
  port,
  protocol: protocol ?? 'TCP',
});
const show = ([from, to, port, protocol]: Arrow) =>
  `${from} -> ${to}:${port}${protocol === 'UDP' ? '/udp' : ''}`;

// ---------- what the seed draws, what the systems need, what the runner needs ----------

const SEED: Record<string, Arrow[]> = {
  'collectors -> Kafka': [
    ['collectors/prometheus-collector', 'streaming/kafka', 9092],
    ['collectors/otlp-collector', 'streaming/kafka', 9092],
    ['collectors/log-collector', 'streaming/kafka', 9092],
  ],
  'Flink -> Kafka, TimescaleDB, Milvus, MinIO': [
    ['streaming/flink-taskmanager', 'streaming/kafka', 9092],
    ['streaming/flink-taskmanager', 'data/timescaledb', 5432],
    ['streaming/flink-taskmanager', 'data/milvus', 19530],
    ['streaming/flink-taskmanager', 'data/minio', 9000],
  ],
  'api -> TimescaleDB, Milvus, MinIO, Redis, embedding-service': [
    ['backend/api', 'data/timescaledb', 5432],
    ['backend/api', 'data/milvus', 19530],
    ['backend/api', 'data/minio', 9000],
    ['backend/api', 'data/redis', 6379],
    ['backend/api', 'backend/embedding-service', 8001],
  ],
  'worker -> TimescaleDB, Redis': [
    ['backend/worker', 'data/timescaledb', 5432],
    ['backend/worker', 'data/redis', 6379],
  ],
  // Kafka and Flink serve no Prometheus metrics yet: their allow is to the port named "metrics"
  // that an exporter will declare.
  'Prometheus -> its scrape targets': [
    ['monitoring/prometheus', 'collectors/prometheus-collector', 9090],
    ['monitoring/prometheus', 'collectors/otlp-collector', 8888],
    ['monitoring/prometheus', 'streaming/kafka', 'metrics'],
    ['monitoring/prometheus', 'streaming/flink-jobmanager', 'metrics'],
    ['monitoring/prometheus', 'backend/api', 8000],
    ['monitoring/prometheus', 'data/timescaledb', 8008],
    ['monitoring/prometheus', 'data/milvus', 9091],
  ],
  'Grafana -> Prometheus, TimescaleDB': [
    ['monitoring/grafana', 'monitoring/prometheus', 9090],
    ['monitoring/grafana', 'data/timescaledb', 5432],
  ],
  'Alertmanager -> Prometheus': [['monitoring/alertmanager', 'monitoring/prometheus', 9090]],
  'NGINX -> api, ui, otlp-collector (and /grafana, Ingress Routes)': [
    ['nginx', 'backend/api', 8000],
    ['nginx', 'frontend/ui', 80],
    ['nginx', 'collectors/otlp-collector', 4318],
    ['nginx', 'monitoring/grafana', 3000],
  ],
};

const INTRA_SYSTEM: Record<string, Arrow[]> = {
  'Kafka brokers and KRaft controllers': [
    ['streaming/kafka', 'streaming/kafka', 9092],
    ['streaming/kafka', 'streaming/kafka', 9094],
    ['streaming/kafka', 'streaming/kafka-controller', 9094],
    ['streaming/kafka-controller', 'streaming/kafka', 9094],
    ['streaming/kafka-controller', 'streaming/kafka-controller', 9094],
    ['streaming/kafka-topics', 'streaming/kafka', 9092],
  ],
  "Schema Registry's store is a Kafka topic; its followers forward to the leader": [
    ['streaming/schema-registry', 'streaming/kafka', 9092],
    ['streaming/schema-registry', 'streaming/schema-registry', 8081],
  ],
  'Flink: JobManager RPC and blob server, TaskManager RPC and data exchange, the Kafka enumerator': [
    ['streaming/flink-taskmanager', 'streaming/flink-jobmanager', 6123],
    ['streaming/flink-taskmanager', 'streaming/flink-jobmanager', 6124],
    ['streaming/flink-jobmanager', 'streaming/flink-taskmanager', 6122],
    ['streaming/flink-taskmanager', 'streaming/flink-taskmanager', 6121],
    ['streaming/flink-jobmanager', 'streaming/kafka', 9092],
  ],
  'Patroni members (replication, REST), pgBackRest into MinIO': [
    ['data/timescaledb', 'data/timescaledb', 5432],
    ['data/timescaledb', 'data/timescaledb', 8008],
    ['data/timescaledb', 'data/minio', 9000],
  ],
  'MinIO nodes of the erasure set': [['data/minio', 'data/minio', 9000]],
  'Prometheus sends alerts to Alertmanager; Alertmanager replicas gossip': [
    ['monitoring/prometheus', 'monitoring/alertmanager', 9093],
    ['monitoring/alertmanager', 'monitoring/alertmanager', 9094],
    ['monitoring/alertmanager', 'monitoring/alertmanager', 9094, 'UDP'],
  ],
};

const RUNNER: Arrow[] = [
  ['runner', 'streaming/kafka', 9092],
  ['runner', 'data/timescaledb', 5432],
  ['runner', 'data/timescaledb', 8008],
  ['runner', 'data/minio', 9000],
  ['runner', 'data/milvus', 19530],
  ['runner', 'data/redis', 6379],
];

const EXPECTED: Arrow[] = [...Object.values(SEED), ...Object.values(INTRA_SYSTEM), RUNNER].flat();

// Flows the seed does not draw: each must be refused.
const NOT_DRAWN: Arrow[] = [
  ['frontend/ui', 'data/timescaledb', 5432],
  ['collectors/otlp-collector', 'data/timescaledb', 5432],
  ['backend/api', 'streaming/kafka', 9092],
  ['backend/worker', 'data/milvus', 19530],
  ['backend/worker', 'data/minio', 9000],
  ['backend/embedding-service', 'data/timescaledb', 5432],
  ['streaming/flink-taskmanager', 'data/redis', 6379],
  ['streaming/kafka', 'data/timescaledb', 5432],
  ['monitoring/grafana', 'streaming/kafka', 9092],
  ['monitoring/prometheus', 'data/redis', 6379],
  ['monitoring/prometheus', 'streaming/kafka', 9092], // scraping is on "metrics", not the client port
  ['monitoring/alertmanager', 'data/timescaledb', 5432],
  ['collectors/prometheus-collector', 'collectors/otlp-collector', 4317],
  ['collectors/log-collector', 'backend/api', 8000],
  ['data/minio', 'data/timescaledb', 5432],
  ['data/timescaledb', 'data/redis', 6379],
  ['backend/api', 'data/minio', 9001], // the MinIO console: nobody is drawn to it
  ['backend/api', 'monitoring/prometheus', 9090],
  ['nginx', 'data/timescaledb', 5432],
  ['nginx', 'monitoring/prometheus', 9090],
  ['nginx', 'data/minio', 9000],
  ['runner', 'monitoring/grafana', 3000],
  ['runner', 'streaming/kafka', 9093], // the EXTERNAL listener: only from outside, and no one is allowed
  ['stranger', 'data/redis', 6379],
  ['stranger', 'streaming/kafka', 9092],
  ['stranger', 'backend/api', 8000],
  ['outside', 'data/minio', 9000],
  ['outside', 'monitoring/grafana', 3000],
  ['outside', 'monitoring/prometheus', 9090],
];

const evaluator = new PolicyEvaluator(policies, namespaceLabels);

describe('NetworkPolicies: every flow of the seed is allowed', () => {
  for (const [arrow, flows] of Object.entries(SEED))
    it(`seed: ${arrow}`, () => {
      expect(flows.filter((f) => !evaluator.allows(flow(f))).map(show)).toEqual([]);
    });

  for (const [what, flows] of Object.entries(INTRA_SYSTEM))
    it(`within a system: ${what}`, () => {
      expect(flows.filter((f) => !evaluator.allows(flow(f))).map(show)).toEqual([]);
    });

  it("the firedrill runner's own access (deploy/runner): Kafka, PostgreSQL and Patroni, MinIO, Milvus, Redis", () => {
    expect(RUNNER.filter((f) => !evaluator.allows(flow(f))).map(show)).toEqual([]);
  });
});

describe('NetworkPolicies: nothing else', () => {
  it.each(NOT_DRAWN.map((f) => [show(f), f] as const))('refused: %s', (_, f) => {
    expect(evaluator.allows(flow(f))).toBe(false);
  });

  it('every SLO-Scout namespace denies ingress by default, and every pod of the topology is isolated', () => {
    for (const ns of SLO_SCOUT_NAMESPACES) {
      const deny = policies.find(
        (p) => p.metadata.namespace === ns && p.metadata.name === 'default-deny-ingress',
      );
      expect(deny?.spec, ns).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    }
    for (const pod of pods.values()) expect(evaluator.selecting(pod).length, pod.name).toBeGreaterThan(0);
  });

  it('over every source and every destination port, the allowed flows are exactly the expected ones', () => {
    const sources = [...pods.values(), ...Object.values(outsiders)];
    // A destination's candidate ports: what it declares, and every port a policy of its namespace names.
    const candidates = (to: Endpoint): Arrow[] => {
      const named = new Set<string | number>();
      const arrows: [number | string, 'TCP' | 'UDP'][] = [];
      const add = (port: number | string, protocol: 'TCP' | 'UDP') => {
        if (named.has(`${port}/${protocol}`)) return;
        named.add(`${port}/${protocol}`);
        arrows.push([port, protocol]);
      };
      for (const p of to.ports ?? []) add(p.containerPort, (p.protocol as 'TCP' | 'UDP') ?? 'TCP');
      for (const pol of policies.filter((p) => p.metadata.namespace === to.namespace))
        for (const rule of pol.spec.ingress ?? [])
          for (const port of rule.ports ?? [])
            if (port.port !== undefined) add(port.port, (port.protocol as 'TCP' | 'UDP') ?? 'TCP');
      return arrows.map(([port, protocol]) => ['', to.name, port, protocol]);
    };
    const allowed: string[] = [];
    for (const to of pods.values())
      for (const [, , port, protocol] of candidates(to))
        for (const from of sources)
          if (evaluator.allows({ from, to, port, protocol }))
            allowed.push(show([from.name, to.name, port, protocol]));
    expect(allowed.sort()).toEqual(EXPECTED.map(show).sort());
  });

  it('no allow is redundant: dropping any one peer of any rule refuses a flow of the list', () => {
    for (const [pi, p] of policies.entries())
      for (const [ri, rule] of (p.spec.ingress ?? []).entries())
        for (const [fi] of (rule.from ?? []).entries()) {
          const without = structuredClone(policies);
          without[pi]!.spec.ingress![ri]!.from!.splice(fi, 1);
          if (!without[pi]!.spec.ingress![ri]!.from!.length) without[pi]!.spec.ingress!.splice(ri, 1);
          const cut = new PolicyEvaluator(without, namespaceLabels);
          expect(
            EXPECTED.some((f) => !cut.allows(flow(f))),
            `${p.metadata.namespace}/${p.metadata.name} rule ${ri} peer ${fi}`,
          ).toBe(true);
        }
  });
});

describe('the evaluator follows the NetworkPolicy API', () => {
  const pod = (namespace: string, app: string, ports: Endpoint['ports'] = []): Endpoint => ({
    name: `${namespace}/${app}`,
    namespace,
    labels: { app },
    ports,
  });
  const nsLabels = (ns: string) => ({ 'kubernetes.io/metadata.name': ns, team: ns === 'a' ? 'x' : 'y' });
  const policy = (ingress: NetworkPolicy['spec']['ingress'], podSelector = {}): NetworkPolicy => ({
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'a' },
    spec: { podSelector, policyTypes: ['Ingress'], ingress },
  });
  const db = pod('a', 'db', [{ name: 'metrics', containerPort: 9187 }]);

  it('a pod no policy selects accepts everything; a selected pod with no rule accepts nothing', () => {
    const e = new PolicyEvaluator([policy([], { matchLabels: { app: 'other' } })], nsLabels);
    expect(e.allows({ from: pod('b', 'x'), to: db, port: 5432 })).toBe(true);
    const deny = new PolicyEvaluator([policy([])], nsLabels);
    expect(deny.allows({ from: pod('a', 'x'), to: db, port: 5432 })).toBe(false);
  });

  it('namespaceSelector with podSelector is AND; as two peers it is OR; podSelector alone is the own namespace', () => {
    const and = new PolicyEvaluator(
      [
        policy([
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: 'y' } },
                podSelector: { matchLabels: { app: 'api' } },
              },
            ],
          },
        ]),
      ],
      nsLabels,
    );
    expect(and.allows({ from: pod('b', 'api'), to: db, port: 5432 })).toBe(true);
    expect(and.allows({ from: pod('b', 'web'), to: db, port: 5432 })).toBe(false);
    expect(and.allows({ from: pod('a', 'api'), to: db, port: 5432 })).toBe(false);
    const or = new PolicyEvaluator(
      [
        policy([
          {
            from: [
              { namespaceSelector: { matchLabels: { team: 'y' } } },
              { podSelector: { matchLabels: { app: 'api' } } },
            ],
          },
        ]),
      ],
      nsLabels,
    );
    expect(or.allows({ from: pod('b', 'web'), to: db, port: 5432 })).toBe(true);
    expect(or.allows({ from: pod('a', 'api'), to: db, port: 5432 })).toBe(true);
    expect(or.allows({ from: pod('a', 'web'), to: db, port: 5432 })).toBe(false);
  });

  it('ports: protocol, number, range and name; ipBlock only for addresses outside the pods', () => {
    const e = new PolicyEvaluator(
      [
        policy([
          {
            ports: [
              { port: 5432 },
              { protocol: 'UDP', port: 53 },
              { port: 7000, endPort: 7002 },
              { port: 'metrics' },
            ],
          },
          { from: [{ ipBlock: { cidr: '198.51.100.0/24', except: ['198.51.100.128/25'] } }] },
        ]),
      ],
      nsLabels,
    );
    const from = pod('b', 'x');
    expect(e.allows({ from, to: db, port: 5432 })).toBe(true);
    expect(e.allows({ from, to: db, port: 5432, protocol: 'UDP' })).toBe(false);
    expect(e.allows({ from, to: db, port: 53, protocol: 'UDP' })).toBe(true);
    expect(e.allows({ from, to: db, port: 7001 })).toBe(true);
    expect(e.allows({ from, to: db, port: 7003 })).toBe(false);
    expect(e.allows({ from, to: db, port: 9187 })).toBe(true); // the container's port named metrics
    expect(e.allows({ from, to: db, port: 9188 })).toBe(false);
    const outside = (ip: string): Endpoint => ({ name: ip, labels: {}, ip });
    const closed = new PolicyEvaluator(
      [policy([{ from: [{ ipBlock: { cidr: '198.51.100.0/24', except: ['198.51.100.128/25'] } }] }])],
      nsLabels,
    );
    expect(closed.allows({ from: outside('198.51.100.7'), to: db, port: 1 })).toBe(true);
    expect(closed.allows({ from: outside('198.51.100.200'), to: db, port: 1 })).toBe(false);
    expect(closed.allows({ from: outside('192.0.2.1'), to: db, port: 1 })).toBe(false);
    expect(closed.allows({ from, to: db, port: 1 })).toBe(false);
  });
});
