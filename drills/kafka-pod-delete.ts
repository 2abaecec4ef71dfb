// Kafka pod deletion on Kubernetes: the pod-level half of "Kafka Partition Failure Recovery" (seed).
// One broker's pod is deleted with grace 0 (the platform's SIGKILL); the StatefulSet must recreate
// it under the same name (same ordinal = same broker id, same volume) and it must be Ready again.
// The canary is the StatefulSet itself: every member has a Ready pod. Recovery of the service is
// the pod Ready again; full recovery, the recreated pod (a new UID) Ready on a node.
//
// This drill does not measure the data path: it writes no ledger to Kafka, so its RPO is never
// measured and the verdict is INCONCLUSIVE unless the RTO is missed. On a cluster with real
// brokers, kafka-broker-kill measures both (its clients reach Kafka through the configured
// endpoints, e.g. {"kafka": {"bootstrap": "<LoadBalancer of Service kafka>:9093"}}).
import { defineDrill, type DrillEnv, type Fault } from '../src/drill/definition.ts';
import { UserError } from '../src/util/errors.ts';
import { sleep } from '../src/util/wait.ts';

const COMPONENT = 'kafka';

class NoDataPath extends Error {
  constructor() {
    super(
      'no data path: kafka-pod-delete measures pod-level recovery only (the RPO needs kafka-broker-kill against real brokers)',
    );
  }
}

interface PodFault extends Fault {
  ordinal: number;
  pod: string;
  /** namespace/pod */
  place: string;
  uid?: string;
  node?: string;
}

/** The member as the platform sees it now (the `describe` capability, checked at planning). */
const describe = (env: DrillEnv, ordinal: number) => env.platform.describe!(COMPONENT, ordinal);

async function allReady(env: DrillEnv): Promise<void> {
  const members = await env.platform.health(COMPONENT);
  const down = members.filter((m) => !m.up);
  if (down.length) throw new Error(down.map((m) => `${m.member}: ${m.detail}`).join('; '));
}

export default defineDrill<Record<string, never>>({
  name: 'kafka-pod-delete',
  title: 'Kafka pod deletion (Kubernetes, pod-level recovery)',
  hypothesis:
    'Deleting one Kafka broker pod with grace 0, the StatefulSet recreates it under the same name (same broker id and volume) and it is Ready again within the broker-loss RTO. The data path is not measured (see kafka-broker-kill).',
  target: { component: COMPONENT, scenario: 'broker-loss' },
  variants: {
    'one-pod': { description: 'delete the pod of one broker (option ordinal = broker id) with grace 0' },
  },
  defaultVariant: 'one-pod',
  options: {
    ordinal: {
      type: 'number',
      default: 0,
      // The preflight refuses an ordinal the StatefulSet does not have; this refuses nonsense.
      min: 0,
      max: 999,
      integer: true,
      description: 'the StatefulSet ordinal (= broker id) whose pod is deleted',
    },
  },
  // A canary is three API calls: every 250 ms is plenty for a recovery measured in seconds.
  probe: { intervalMs: 250, consecutiveOk: 3, timeoutMs: 2_000 },
  ledger: { concurrency: 1, minAckedBeforeFault: 0 },
  needs: [],
  requires: { capabilities: ['kill', 'describe', 'self-healing'] },

  async open() {
    return {};
  },
  async close() {},

  async preflight(env) {
    await env.platform.checkKill(COMPONENT);
    await describe(env, env.options.number('ordinal')); // refuses an ordinal out of range
    await allReady(env).catch((err: Error) => {
      throw new UserError(
        `not every Kafka pod is Ready: ${err.message}`,
        'wait for the StatefulSet to be Ready before drilling',
      );
    });
  },

  async canary(env) {
    await allReady(env);
  },

  async write() {
    await sleep(1_000); // one refused write a second, not a busy loop
    throw new NoDataPath();
  },

  isDefiniteFailure(err) {
    return err instanceof NoDataPath;
  },

  async readBack() {
    throw new NoDataPath();
  },

  async inject(env): Promise<PodFault> {
    const ordinal = env.options.number('ordinal');
    const pod = await describe(env, ordinal);
    const fault: PodFault = {
      description: `delete pod ${pod.place} with grace 0 (broker ${ordinal})`,
      touched: [`${COMPONENT}/${pod.name}`],
      ordinal,
      pod: pod.name,
      place: pod.place,
      uid: pod.incarnation,
      node: pod.host,
    };
    await env.fire(fault, () => env.platform.kill(COMPONENT, ordinal, 'SIGKILL'));
    return fault;
  },

  async confirm(env, _s, fault) {
    const f = fault as PodFault;
    const pod = await describe(env, f.ordinal).catch(() => undefined);
    if (pod && pod.incarnation === f.uid && !pod.terminating)
      throw new Error(`pod ${f.place} (uid ${f.uid}) is still there and not terminating`);
    return pod
      ? `pod ${f.place} ${pod.incarnation === f.uid ? 'terminating' : `recreated (uid ${pod.incarnation}, was ${f.uid})`}`
      : `pod ${f.place} gone`;
  },

  async fullyRecovered(env, _s, fault) {
    const f = fault as PodFault;
    const pod = await describe(env, f.ordinal).catch(() => undefined);
    if (!pod?.up || pod.incarnation === f.uid) return false;
    env.mark(
      'pod-recreated',
      `${pod.place} uid ${pod.incarnation} (was ${f.uid}) Ready${pod.host ? ` on ${pod.host}` : ''}`,
    );
    return true;
  },

  async revert(env, fault) {
    // The StatefulSet heals by itself: compensation is waiting until it has.
    await env.platform.restart(COMPONENT, (fault as PodFault).ordinal ?? undefined);
  },

  async config(env) {
    const { workload, replicas } = await env.platform.workload!(COMPONENT);
    return {
      workload,
      replicas,
      gracePeriodSeconds: 0,
      context: env.platform.ref.context,
      memberMapping: 'broker id = StatefulSet pod ordinal',
      dataPath: 'not measured (no ledger writes to Kafka)',
    };
  },
});
