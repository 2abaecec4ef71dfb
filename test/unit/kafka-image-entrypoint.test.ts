// The Kafka image's entrypoint (deploy/images/kafka/kafka-kraft): how it turns a StatefulSet pod's
// environment into server.properties and a JVM command line. Run for real with /bin/sh; only
// `java` is a stand-in on PATH that records its arguments (no broker starts in a unit test).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/topology/load.ts';

const SCRIPT = join(REPO_ROOT, 'deploy', 'images', 'kafka', 'kafka-kraft');
const dir = mkdtempSync(join(tmpdir(), 'kafka-kraft-'));
writeFileSync(join(dir, 'java'), `#!/bin/sh\necho "$*" >>"${dir}/java.calls"\n`);
chmodSync(join(dir, 'java'), 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(env: Record<string, string>, args: string[] = []) {
  rmSync(join(dir, 'java.calls'), { force: true });
  const props = join(dir, 'server.properties');
  const out = spawnSync('/bin/sh', [SCRIPT, ...args], {
    encoding: 'utf8',
    env: {
      PATH: `${dir}:/usr/bin:/bin`,
      KRAFT_PROPERTIES_FILE: props,
      KAFKA_LOG_DIRS: join(dir, 'data'),
      CLUSTER_ID: 'c2xvLXNjb3V0LWthZmthMQ',
      ...env,
    },
  });
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const properties = Object.fromEntries(
    read(props)
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    status: out.status,
    stderr: out.stderr,
    properties,
    java: read(join(dir, 'java.calls')).split('\n').filter(Boolean),
  };
}

describe('the Kafka image entrypoint (kafka-kraft)', () => {
  it('maps KAFKA_* variables to properties in the apache/kafka convention', () => {
    const r = run({
      HOSTNAME: 'kafka-1',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT',
      KAFKA_CONFLUENT__WEIRD___NAME: 'x',
      KAFKA_HEAP_OPTS: '-Xmx300m',
    });
    expect(r.status).toBe(0);
    expect(r.properties).toMatchObject({
      'node.id': '1',
      'min.insync.replicas': '2',
      'listener.security.protocol.map': 'INTERNAL:PLAINTEXT',
      'confluent_weird-name': 'x',
    });
    // JVM options are not properties.
    expect(r.properties['heap.opts']).toBeUndefined();
    expect(r.java.at(-1)).toMatch(/^-Xmx300m .* kafka\.Kafka .*server\.properties$/);
  });

  it('takes the node id from the pod ordinal plus an offset (the controllers: kafka-controller-1 → 4)', () => {
    expect(run({ HOSTNAME: 'kafka-controller-1', KAFKA_NODE_ID_OFFSET: '3' }).properties['node.id']).toBe(
      '4',
    );
    expect(run({ HOSTNAME: 'kafka-2', KAFKA_NODE_ID: '7' }).properties['node.id']).toBe('7');
    // The offset is the entrypoint's, not a broker property.
    expect(
      run({ HOSTNAME: 'kafka-0', KAFKA_NODE_ID_OFFSET: '3' }).properties['node.id.offset'],
    ).toBeUndefined();
  });

  it('sets no broker.rack when the zone is empty, and the zone when there is one', () => {
    expect(run({ HOSTNAME: 'kafka-0', KAFKA_BROKER_RACK: '' }).properties).not.toHaveProperty('broker.rack');
    expect(run({ HOSTNAME: 'kafka-0', KAFKA_BROKER_RACK: 'zone-a' }).properties['broker.rack']).toBe(
      'zone-a',
    );
  });

  it('formats an empty log directory with CLUSTER_ID before starting', () => {
    const r = run({ HOSTNAME: 'kafka-0' });
    expect(r.java[0]).toMatch(
      /kafka\.tools\.StorageTool format --ignore-formatted -t c2xvLXNjb3V0LWthZmthMQ -c /,
    );
    expect(r.java).toHaveLength(2);
  });

  it('refuses a pod name without an ordinal, and a missing CLUSTER_ID, naming what is wrong', () => {
    const noOrdinal = run({ HOSTNAME: 'broker' });
    expect(noOrdinal.status).not.toBe(0);
    expect(noOrdinal.stderr).toMatch(/KAFKA_NODE_ID unset and HOSTNAME 'broker' ends in no ordinal/);
    const noId = run({ HOSTNAME: 'kafka-0', CLUSTER_ID: '' });
    expect(noId.status).not.toBe(0);
    expect(noId.stderr).toMatch(/CLUSTER_ID must be set/);
  });
});
