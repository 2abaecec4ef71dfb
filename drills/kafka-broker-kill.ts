// Kafka broker loss. Runbook: "Kafka Partition Failure Recovery" (seed). With RF 3, min ISR 2,
// unclean leader election off and producers using acks=all, losing a broker must cost no
// acknowledged write; losing two must refuse writes (NotEnoughReplicas) rather than lose them.
import { createHash } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { defineDrill, type DrillEnv, type Fault } from '../src/drill/definition.ts';
import { membersDown } from '../src/drill/observe.ts';
import type { ReadBackRecord } from '../src/measure/types.ts';
import { UserError } from '../src/util/errors.ts';
import { sleep } from '../src/util/wait.ts';

/** The read-back starts this long before the run started (producer and broker clocks may differ). */
const READBACK_SKEW_MS = 5 * 60_000;

/** When the run was planned; unknown outside a drill run (the bench). */
const runStartedAt = (env: DrillEnv) => env.evidence.startedAt();

/** How long preflight waits for an under-replicated ledger partition to be whole again. */
const ISR_WAIT_MS = 30_000;

const TOPIC = 'firedrill-ledger';
const REPLICAS = [0, 1, 2];

interface State {
  kafka: Kafka;
  admin: Admin;
  ledger: Producer;
  canary: Producer;
  lastIsr?: number;
}

interface KafkaFault extends Fault {
  brokers: number[];
}

const client = (env: DrillEnv) =>
  new Kafka({
    clientId: `firedrill-${env.runId}`,
    brokers: env.platform.endpoints('kafka').bootstrap!.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    // A broker of the bootstrap list may be the one that is down: try the others quickly.
    retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 },
  });

async function partitions(admin: Admin) {
  const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  return meta.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
}

/** Errors that mean the broker refused the write before appending it. */
const DEFINITE = new Set([
  'NOT_ENOUGH_REPLICAS',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);

function errorChain(err: unknown): { type?: string; code?: string; name?: string }[] {
  const out = [];
  for (
    let e = err as
        { type?: string; code?: string; name?: string; cause?: unknown; originalError?: unknown } | undefined,
      i = 0;
    e && i < 5;
    i++
  ) {
    out.push(e);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return out;
}

export default defineDrill<State>({
  name: 'kafka-broker-kill',
  title: 'Kafka broker loss (SIGKILL)',
  hypothesis:
    'With RF 3, min ISR 2, unclean leader election off and acks=all, Kafka elects a new leader and keeps accepting writes after losing one broker, refuses writes rather than losing them after losing two, and loses no acknowledged write either way; the ISR returns to 3 once the brokers are back.',
  target: { component: 'kafka', scenario: 'broker-loss' },
  variants: {
    leader: { description: 'SIGKILL the broker that leads the ledger partitions' },
    follower: { description: 'SIGKILL a broker that follows (leads no ledger partition)' },
    'two-of-three': {
      description: 'SIGKILL the leader and a follower: writes must be refused, none lost',
      // The survivor refuses writes (ISR [self] < min.insync.replicas 2) only once the controller
      // has fenced the killed brokers, after broker.session.timeout.ms (9–12 s here): brokers back
      // sooner would leave no window in which a write can be refused.
      defaults: { 'restart-after': '20s' },
    },
  },
  defaultVariant: 'leader',
  options: {
    'restart-after': {
      type: 'duration',
      default: '5s',
      max: '1h',
      holdsFault: true, // the broker stays down until then
      description:
        'how long the platform takes to bring a killed broker back (Kubernetes restarts the pod; the sandbox emulates it)',
    },
  },
  ledger: { concurrency: 8, minAckedBeforeFault: 200 },
  needs: ['kafka'],
  requires: { capabilities: ['kill', 'restart'] },
  remediateAfterMs: (o) => o.number('restart-after'),

  async open(env) {
    const kafka = client(env);
    const admin = kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(TOPIC)) {
      // Every ledger partition prefers the same leader, so "the leader of the ledger partitions"
      // is one broker and killing it moves them all.
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: TOPIC,
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
    return { kafka, admin, ledger, canary };
  },

  async close(_env, s) {
    await Promise.allSettled([s.ledger.disconnect(), s.canary.disconnect(), s.admin.disconnect()]);
  },

  async preflight(env, s) {
    const cluster = await s.admin.describeCluster();
    if (cluster.brokers.length < REPLICAS.length) {
      throw new UserError(
        `only ${cluster.brokers.length} of ${REPLICAS.length} Kafka brokers are up`,
        'bring them back (`firedrill sandbox restart kafka`) before drilling',
      );
    }
    // A broker back from the previous drill (or briefly lagging on busy cores) rejoins the ISR
    // within seconds: give it ISR_WAIT_MS before refusing, as an operator would.
    let parts = await partitions(s.admin);
    const short = () => parts.filter((p) => p.isr.length < p.replicas.length);
    for (const until = Date.now() + ISR_WAIT_MS; short().length && Date.now() < until;) {
      await sleep(500);
      parts = await partitions(s.admin);
    }
    if (short().length)
      throw new UserError(
        `ledger partitions ${short()
          .map((p) => `${p.partitionId} (ISR [${p.isr.join(',')}] of [${p.replicas.join(',')}])`)
          .join(', ')} are still under-replicated after ${ISR_WAIT_MS / 1000} s`,
        'wait for the ISR to return to 3 (`firedrill sandbox status`)',
      );
    if (env.variant === 'follower' && REPLICAS.every((b) => parts.some((p) => p.leader === b))) {
      throw new UserError(
        'every broker leads a ledger partition, so none is a pure follower',
        'wait ~10 s for the preferred leaders to be restored',
      );
    }
  },

  async canary(_env, s) {
    // A write to every ledger partition with acks=all, then a read of each partition's high watermark.
    const sent = await Promise.all(
      [0, 1, 2].map((partition) =>
        s.canary.send({
          topic: TOPIC,
          acks: -1,
          timeout: 900,
          messages: [{ key: 'canary', value: String(Date.now()), partition }],
        }),
      ),
    );
    const offsets = await s.admin.fetchTopicOffsets(TOPIC);
    for (const [i, meta] of sent.entries()) {
      const high = offsets.find((o) => o.partition === i)!.high;
      if (BigInt(high) <= BigInt(meta[0]!.baseOffset!))
        throw new Error(
          `partition ${i}: high watermark ${high} does not cover offset ${meta[0]!.baseOffset}`,
        );
    }
  },

  async write(_env, s, record) {
    const [meta] = await s.ledger.send({
      topic: TOPIC,
      acks: -1,
      timeout: 4_000,
      messages: [{ key: record.key, value: record.payload }],
    });
    return { position: `p${meta!.partition}@${meta!.baseOffset}` };
  },

  isDefiniteFailure(err) {
    return errorChain(err).some((e) => (e.type && DEFINITE.has(e.type)) || e.code === 'ECONNREFUSED');
  },

  async readBack(env, s, prefix): Promise<ReadBackRecord[]> {
    const highs = new Map((await s.admin.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, BigInt(o.high)]));
    // Every record of this run was produced after the run started: read from the first offset
    // stamped at or after that (less a margin for clock skew), not from the topic's beginning,
    // so a verify costs this run's records and not the topic's whole history.
    const startedAt = runStartedAt(env);
    const starts = new Map<number, bigint>(
      startedAt === undefined
        ? []
        : (await s.admin.fetchTopicOffsetsByTimestamp(TOPIC, startedAt - READBACK_SKEW_MS)).map((o) => [
            o.partition,
            BigInt(o.offset),
          ]),
    );
    const consumer = s.kafka.consumer({
      groupId: `firedrill-readback-${env.runId}-${Date.now()}`,
      maxWaitTimeInMs: 100,
      retry: { retries: 5 },
    });
    const out: ReadBackRecord[] = [];
    let scanned = 0;
    const done = new Set([...highs].filter(([p, h]) => h <= (starts.get(p) ?? 0n)).map(([p]) => p));
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`read-back incomplete after 120 s (${done.size} of ${highs.size} partitions)`)),
          120_000,
        );
        if (done.size === highs.size) return resolve();
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) {
                scanned++;
                const key = m.key?.toString() ?? '';
                if (key.startsWith(prefix))
                  out.push({
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
          if (!done.has(partition)) consumer.seek({ topic: TOPIC, partition, offset: String(offset) });
      });
    } finally {
      await consumer.disconnect();
    }
    env.log.info(
      { records: out.length, scanned, from: Object.fromEntries([...starts].map(([p, o]) => [p, String(o)])) },
      'ledger read back',
    );
    return out;
  },

  async inject(env, s): Promise<KafkaFault> {
    const parts = await partitions(s.admin);
    const leads = new Map<number, number>();
    for (const p of parts) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
    const leader = [...leads].sort((a, b) => b[1] - a[1])[0]![0];
    const followers = REPLICAS.filter((b) => !leads.has(b));
    const follower = followers[0] ?? REPLICAS.find((b) => b !== leader)!;
    const brokers =
      env.variant === 'leader' ? [leader] : env.variant === 'follower' ? [follower] : [leader, follower];
    s.lastIsr = Math.min(...parts.map((p) => p.isr.length));
    const fault: KafkaFault = {
      description: `SIGKILL broker${brokers.length > 1 ? 's' : ''} ${brokers.join(' and ')} (${env.variant}; ledger partitions led by ${leader})`,
      touched: brokers.map((b) => `kafka/kafka-${b}`),
      brokers,
    };
    await env.fire(fault, async () => {
      for (const b of brokers) await env.platform.kill('kafka', b, 'SIGKILL');
    });
    return fault;
  },

  async confirm(env, _s, fault) {
    const f = fault as KafkaFault;
    return `down: ${await membersDown(
      env,
      'kafka',
      f.brokers.map((b) => `kafka-${b}`),
    )}`;
  },

  async remediate(env, fault) {
    // What the platform does by itself on Kubernetes (the StatefulSet recreates the pod).
    for (const b of (fault as KafkaFault).brokers) await env.platform.restart('kafka', b);
  },

  async fullyRecovered(env, s) {
    const parts = await partitions(s.admin);
    const isr = Math.min(...parts.map((p) => (p.leader >= 0 ? p.isr.length : 0)));
    if (isr !== s.lastIsr) {
      env.mark(
        `isr-${isr}`,
        parts.map((p) => `p${p.partitionId}: leader ${p.leader}, ISR [${p.isr.join(',')}]`).join('; '),
      );
      s.lastIsr = isr;
    }
    return parts.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length);
  },

  async revert(env, fault) {
    for (const b of (fault as KafkaFault).brokers ?? REPLICAS) await env.platform.restart('kafka', b);
  },

  async config(env, s) {
    const described = await s.admin.describeConfigs({
      resources: [{ type: 2, name: TOPIC }],
      includeSynonyms: false,
    });
    const topic = Object.fromEntries(
      described.resources[0]!.configEntries.filter((e) =>
        ['min.insync.replicas', 'unclean.leader.election.enable'].includes(e.configName),
      ).map((e) => [e.configName, e.configValue]),
    );
    const parts = await partitions(s.admin);
    return {
      topic: TOPIC,
      replicationFactor: parts[0]?.replicas.length,
      partitions: parts.length,
      ...topic,
      producerAcks: 'all (-1)',
      brokerSettings: env.platform.info('kafka').settings,
      kraftVoters: env.platform.info('kafka').voters,
      restartAfterMs: env.options.values['restart-after'],
    };
  },
});
