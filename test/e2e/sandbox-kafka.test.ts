// Kafka in the sandbox, with its real client: RF-3 topic, acks=all produce, consume, a broker
// killed and seen gone by the client, and restart healing the ISR.
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { markedProcesses } from '../../src/platform/local/process.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import { waitFor } from '../../src/util/wait.ts';
import { useSandbox } from './sandbox-harness.ts';

const sb = useSandbox('e2e-kafka', ['kafka']);
const client = () =>
  new Kafka({
    clientId: 'e2e',
    brokers: sb.get().endpoints().kafka!.bootstrap!.split(','),
    logLevel: logLevel.NOTHING,
  });

async function isr(topic: string): Promise<number[][]> {
  const admin = client().admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) =>
      [...p.isr].sort(),
    );
  } finally {
    await admin.disconnect();
  }
}

describe('sandbox: kafka', () => {
  it('runs 3 brokers with the settings of the topology model', async () => {
    const state = sb.get().component('kafka');
    expect(state.members).toHaveLength(3);
    expect(state.info.settings).toMatchObject({
      'min.insync.replicas': '2',
      'default.replication.factor': '3',
      'unclean.leader.election.enable': 'false',
    });
    const health = await sb.get().status();
    expect(health.kafka!.every((m) => m.up)).toBe(true);
  });

  it('produces with acks=all and consumes everything back on an RF-3 topic', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'e2e', numPartitions: 3, replicationFactor: 3 }],
      waitForLeaders: true,
    });
    // Every node's answer counts: the active controller's setting becomes the cluster default.
    for (const broker of sb.get().endpoints().kafka!.bootstrap!.split(',')) {
      const one = new Kafka({ clientId: 'e2e', brokers: [broker], logLevel: logLevel.NOTHING }).admin();
      await one.connect();
      const configs = await one.describeConfigs({
        resources: [{ type: 2, name: 'e2e' }],
        includeSynonyms: false,
      });
      expect(
        configs.resources[0]!.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue,
        broker,
      ).toBe('2');
      await one.disconnect();
    }
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 300 }, (_, i) => `m-${i}`);
    await producer.send({ topic: 'e2e', acks: -1, messages: sent.map((value) => ({ key: value, value })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'e2e-read' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'e2e', fromBeginning: true });
    const seen = new Set<string>();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.add(message.value!.toString());
          if (seen.size === sent.length) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect([...seen].sort()).toEqual([...sent].sort());
    expect(await isr('e2e')).toEqual([
      [0, 1, 2],
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });

  it('a killed broker is seen gone by the client, and restart brings the ISR back to 3', async () => {
    await sb.get().kill('kafka', 1);
    // The client sees the ISR shrink without broker 1 (replica.lag.time.max.ms or session expiry).
    await waitFor('ISR to drop broker 1', async () => (await isr('e2e')).every((r) => !r.includes(1)), {
      timeoutMs: 60_000,
    });
    const down = await sb.get().status();
    expect(down.kafka!.find((m) => m.member === 'kafka-1')!.up).toBe(false);

    // With 2 of 3 in sync, acks=all writes still succeed (min ISR 2).
    const producer = client().producer();
    await producer.connect();
    await producer.send({ topic: 'e2e', acks: -1, messages: [{ value: 'while-down' }] });
    await producer.disconnect();

    expect(await sb.get().restart('kafka')).toEqual(['kafka-1']);
    await waitFor('ISR back to 3', async () => (await isr('e2e')).every((r) => r.length === 3), {
      timeoutMs: 60_000,
    });
    expect((await sb.get().status()).kafka!.every((m) => m.up)).toBe(true);
  });

  it('down leaves no process of the sandbox behind', async () => {
    const id = sb.get().state.id;
    expect(markedProcesses(id).length).toBeGreaterThan(0);
    await sb.get().down();
    expect(markedProcesses(id)).toEqual([]);
    expect(Sandbox.exists({ name: 'e2e-kafka' })).toBe(false);
  });
});
