// Kafka broker loss. Runbook: "Kafka Partition Failure Recovery" (seed). With RF 3, min ISR 2,
// unclean leader election off and producers using acks=all, losing a broker must cost no
// acknowledged write; losing two must refuse writes (NotEnoughReplicas) rather than lose them.
import { defineDrill, type DrillEnv, type Fault } from '../src/drill/definition.ts';
import { membersDown } from '../src/drill/observe.ts';
import type { ReadBackRecord } from '../src/measure/types.ts';
import { isDefiniteWriteFailure } from '../src/systems/kafka/errors.ts';
import { BROKERS as REPLICAS, KafkaLedger } from '../src/systems/kafka/ledger.ts';
import { UserError } from '../src/util/errors.ts';
import { sleep } from '../src/util/wait.ts';

/** How long preflight waits for an under-replicated ledger partition to be whole again. */
const ISR_WAIT_MS = 30_000;

interface State {
  kafka: KafkaLedger;
  lastIsr?: number;
}

interface KafkaFault extends Fault {
  brokers: number[];
}

const openLedger = (env: DrillEnv) =>
  KafkaLedger.open({
    clientId: `firedrill-${env.runId}`,
    bootstrap: env.platform.endpoints('kafka').bootstrap!,
  });

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
    return { kafka: await openLedger(env) };
  },

  async close(_env, s) {
    await s.kafka.close();
  },

  async preflight(env, s) {
    const brokers = await s.kafka.brokerCount();
    if (brokers < REPLICAS.length) {
      throw new UserError(
        `only ${brokers} of ${REPLICAS.length} Kafka brokers are up`,
        'bring them back (`firedrill sandbox restart kafka`) before drilling',
      );
    }
    // A broker back from the previous drill (or briefly lagging on busy cores) rejoins the ISR
    // within seconds: give it ISR_WAIT_MS before refusing, as an operator would.
    let parts = await s.kafka.partitions();
    const short = () => parts.filter((p) => p.isr.length < p.replicas.length);
    for (const until = Date.now() + ISR_WAIT_MS; short().length && Date.now() < until;) {
      await sleep(500);
      parts = await s.kafka.partitions();
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
    await s.kafka.canary();
  },

  async write(_env, s, record) {
    return { position: await s.kafka.write(record.key, record.payload) };
  },

  isDefiniteFailure: isDefiniteWriteFailure,

  async readBack(env, s, prefix): Promise<ReadBackRecord[]> {
    const { records, scanned, from } = await s.kafka.readBack({
      prefix,
      startedAt: env.evidence.startedAt(), // unknown outside a drill run (the bench): read it all
      groupId: `firedrill-readback-${env.runId}-${Date.now()}`,
    });
    env.log.info({ records: records.length, scanned, from }, 'ledger read back');
    return records;
  },

  async inject(env, s): Promise<KafkaFault> {
    const parts = await s.kafka.partitions();
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
    const parts = await s.kafka.partitions();
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
    return {
      ...(await s.kafka.topicConfig()),
      producerAcks: 'all (-1)',
      brokerSettings: env.platform.info('kafka').settings,
      kraftVoters: env.platform.info('kafka').voters,
      restartAfterMs: env.options.values['restart-after'],
    };
  },
});
