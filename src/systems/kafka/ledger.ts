// The drills' view of Kafka: the ledger topic, its partitions and ISR, acks=all writes and
// canaries, and the read-back of one run's records. What to do with them is the drill's runbook.
import { createHash } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { ReadBackRecord } from '../../measure/types.ts';
import { kafkaClient } from './client.ts';

export const LEDGER_TOPIC = 'firedrill-ledger';
/** The broker ids of SLO-Scout's three-broker cluster (StatefulSet ordinals). */
export const BROKERS = [0, 1, 2];

/** The read-back starts this long before the run started (producer and broker clocks may differ). */
const READBACK_SKEW_MS = 5 * 60_000;
const READBACK_TIMEOUT_MS = 120_000;

export interface LedgerPartition {
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export class KafkaLedger {
  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly ledger: Producer,
    private readonly canaryProducer: Producer,
  ) {}

  /** Connects, and creates the ledger topic when it is missing (every partition led by broker 0). */
  static async open(opts: { clientId: string; bootstrap: string }): Promise<KafkaLedger> {
    const kafka = kafkaClient({
      clientId: opts.clientId,
      brokers: opts.bootstrap.split(','),
      profile: 'drill',
    });
    const admin = kafka.admin();
    await admin.connect();
    if (!(await admin.listTopics()).includes(LEDGER_TOPIC)) {
      // Every ledger partition prefers the same leader, so "the leader of the ledger partitions"
      // is one broker and killing it moves them all.
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: LEDGER_TOPIC,
            replicaAssignment: [0, 1, 2].map((p) => ({
              partition: p,
              replicas: p % 2 ? [0, 2, 1] : [0, 1, 2],
            })),
          },
        ],
      });
    }
    // No retries: each write's outcome must be its own (a retry could append what looked refused).
    const producer = () =>
      kafka.producer({ allowAutoTopicCreation: false, metadataMaxAge: 250, retry: { retries: 0 } });
    const ledger = producer();
    const canary = producer();
    await Promise.all([ledger.connect(), canary.connect()]);
    return new KafkaLedger(kafka, admin, ledger, canary);
  }

  async close(): Promise<void> {
    await Promise.allSettled([
      this.ledger.disconnect(),
      this.canaryProducer.disconnect(),
      this.admin.disconnect(),
    ]);
  }

  async brokerCount(): Promise<number> {
    return (await this.admin.describeCluster()).brokers.length;
  }

  async partitions(): Promise<LedgerPartition[]> {
    const meta = await this.admin.fetchTopicMetadata({ topics: [LEDGER_TOPIC] });
    return meta.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
  }

  /** A write to every ledger partition with acks=all, then each partition's high watermark read back. */
  async canary(): Promise<void> {
    const sent = await Promise.all(
      [0, 1, 2].map((partition) =>
        this.canaryProducer.send({
          topic: LEDGER_TOPIC,
          acks: -1,
          timeout: 900,
          messages: [{ key: 'canary', value: String(Date.now()), partition }],
        }),
      ),
    );
    const offsets = await this.admin.fetchTopicOffsets(LEDGER_TOPIC);
    for (const [i, meta] of sent.entries()) {
      const high = offsets.find((o) => o.partition === i)!.high;
      if (BigInt(high) <= BigInt(meta[0]!.baseOffset!))
        throw new Error(
          `partition ${i}: high watermark ${high} does not cover offset ${meta[0]!.baseOffset}`,
        );
    }
  }

  /** One acks=all write; resolves with where the broker put it. */
  async write(key: string, payload: Buffer): Promise<string> {
    const [meta] = await this.ledger.send({
      topic: LEDGER_TOPIC,
      acks: -1,
      timeout: 4_000,
      messages: [{ key, value: payload }],
    });
    return `p${meta!.partition}@${meta!.baseOffset}`;
  }

  /**
   * Every record whose key starts with `prefix`. Records of a run were produced after it started:
   * reading from the first offset stamped at or after that (less a skew margin), not from the
   * topic's beginning, makes a verify cost this run's records and not the topic's whole history.
   */
  async readBack(opts: {
    prefix: string;
    startedAt: number | undefined;
    groupId: string;
  }): Promise<{ records: ReadBackRecord[]; scanned: number; from: Record<number, string> }> {
    const highs = new Map(
      (await this.admin.fetchTopicOffsets(LEDGER_TOPIC)).map((o) => [o.partition, BigInt(o.high)]),
    );
    const starts = new Map<number, bigint>(
      opts.startedAt === undefined
        ? []
        : (
            await this.admin.fetchTopicOffsetsByTimestamp(LEDGER_TOPIC, opts.startedAt - READBACK_SKEW_MS)
          ).map((o) => [o.partition, BigInt(o.offset)]),
    );
    const consumer = this.kafka.consumer({
      groupId: opts.groupId,
      maxWaitTimeInMs: 100,
      retry: { retries: 5 },
    });
    const records: ReadBackRecord[] = [];
    let scanned = 0;
    const done = new Set([...highs].filter(([p, h]) => h <= (starts.get(p) ?? 0n)).map(([p]) => p));
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: LEDGER_TOPIC, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `read-back incomplete after ${READBACK_TIMEOUT_MS / 1000} s (${done.size} of ${highs.size} partitions)`,
              ),
            ),
          READBACK_TIMEOUT_MS,
        );
        if (done.size === highs.size) return resolve();
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) {
                scanned++;
                const key = m.key?.toString() ?? '';
                if (key.startsWith(opts.prefix))
                  records.push({
                    key,
                    sha256: createHash('sha256')
                      .update(m.value ?? Buffer.alloc(0))
                      .digest('hex'),
                  });
                if (BigInt(m.offset) + 1n >= highs.get(batch.partition)!) done.add(batch.partition);
              }
              if (done.size === highs.size) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
        for (const [partition, offset] of starts)
          if (!done.has(partition)) consumer.seek({ topic: LEDGER_TOPIC, partition, offset: String(offset) });
      });
    } finally {
      await consumer.disconnect();
    }
    return { records, scanned, from: Object.fromEntries([...starts].map(([p, o]) => [p, String(o)])) };
  }

  /** The ledger topic's durability settings, for the evidence. */
  async topicConfig(): Promise<Record<string, unknown>> {
    const described = await this.admin.describeConfigs({
      resources: [{ type: 2, name: LEDGER_TOPIC }],
      includeSynonyms: false,
    });
    const topic = Object.fromEntries(
      described.resources[0]!.configEntries.filter((e) =>
        ['min.insync.replicas', 'unclean.leader.election.enable'].includes(e.configName),
      ).map((e) => [e.configName, e.configValue]),
    );
    const parts = await this.partitions();
    return {
      topic: LEDGER_TOPIC,
      replicationFactor: parts[0]?.replicas.length,
      partitions: parts.length,
      ...topic,
    };
  }
}
