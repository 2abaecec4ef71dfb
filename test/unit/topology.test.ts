// The topology model against the seed (../shared/seeds/000_09f7162f861b8f5a.txt): the manifests
// under deploy/k8s are the single source of truth, so these checks are what keeps them honest.
import { describe, expect, it } from 'vitest';
import { component, drTarget, loadTopology, parseDrTargets, parseTopology } from '../../src/topology/index.ts';

const topology = loadTopology();

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
    expect(kafka.resources.requests).toEqual({ cpu: '2', memory: '4Gi' });
    expect(kafka.storage).toEqual([{ name: 'kafka-data', size: '100Gi', storageClass: 'fast-ssd' }]);
    expect(kafka.ports.map((p) => p.port)).toEqual(expect.arrayContaining([9092, 9093]));
  });

  it('TimescaleDB: 1 primary + 2 replicas under Patroni', () => {
    const tsdb = component(topology, 'timescaledb');
    expect(tsdb.replicas).toBe(3);
    expect(tsdb.annotations['firedrill.io/ha']).toBe('patroni: 1 primary + 2 replicas');
    expect(tsdb.configFiles['patroni.yaml']).toMatch(/ttl: 30/);
    expect(tsdb.resources.limits).toEqual({ cpu: '4', memory: '16Gi' });
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
    expect(() => drTarget(component(topology, 'kafka'), 'meteor')).toThrow(/declares no DR target.*broker-loss/);
  });
});

describe('parsing', () => {
  it('rejects an unknown component with the list of known ones', () => {
    expect(() => component(topology, 'kafak')).toThrow(/"kafak" is not in the topology; known components: .*kafka/);
  });

  it('rejects DR targets with a missing field or an unparsable duration', () => {
    expect(() => parseDrTargets('- scenario: x\n  rto: 5m\n  source: s', 'w')).toThrow(/missing "rpo"/);
    expect(() => parseDrTargets('- {scenario: x, rto: soon, rpo: 0, source: s}', 'w')).toThrow(/cannot parse "soon"/);
    expect(() => parseDrTargets('- {scenario: x, rto: -5m, rpo: 0, source: s}', 'w')).toThrow(/rto: cannot parse "-5m"/);
  });

  it('builds components from documents it is given, without reading files', () => {
    const t = parseTopology([
      {
        kind: 'Deployment',
        metadata: { name: 'ui', namespace: 'slo-scout-frontend' },
        spec: { replicas: 2, template: { spec: { containers: [{ image: 'ui:1', ports: [{ containerPort: 80 }] }] } } },
      },
    ]);
    expect(t.components[0]).toMatchObject({ name: 'ui', replicas: 2, ports: [{ name: '80', port: 80 }], drTargets: [] });
  });
});
