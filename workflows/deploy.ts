// deployTopologyWorkflow: the SLO-Scout topology onto a cluster. Orchestration only: a server-side
// dry run of every object first (a manifest the API server rejects is refused before anything
// changes), then tier by tier in dependency order, one activity per object (server-side apply)
// and one per workload rollout (a watch). A killed worker costs at most the activity it was
// running: the next worker replays the history and carries on from there. Re-running it is a
// no-op: every object comes back "unchanged".
import { ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { DeployInput, DeployOutcome, KubernetesActivities } from '../activities/kubernetes.ts';
import { deployProgressQuery, rolloutStatusSignal, type DeployProgress } from './names.ts';

const validating = proxyActivities<KubernetesActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['UserError'] },
});
// One apply is one request or two: a dead worker's attempt is retried after 20 s.
const applying = proxyActivities<KubernetesActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second', nonRetryableErrorTypes: ['UserError'] },
});

// What is waited for before the next tier: workloads' rollouts, and in the first tier the
// namespaces (their default ServiceAccount) and quotas (their computed usage), without which the
// admission refuses pods and the controllers back off.
const WAITED_FOR = ['Deployment', 'StatefulSet', 'DaemonSet', 'Namespace', 'ResourceQuota'];

export async function deployTopologyWorkflow(input: DeployInput): Promise<DeployOutcome> {
  const startedAt = Date.now();
  const timeoutMs = input.rolloutTimeoutMs ?? 10 * 60_000;
  // Heartbeating: a dead worker is noticed within 15 s and the watch resumes on another one.
  const rollouts = proxyActivities<KubernetesActivities>({
    startToCloseTimeout: timeoutMs + 120_000,
    heartbeatTimeout: '15 seconds',
    retry: {
      maximumAttempts: 10,
      initialInterval: '1 second',
      nonRetryableErrorTypes: ['UserError', 'RolloutTimeout'],
    },
  });
  const progress: DeployProgress = {
    context: input.target.context,
    phase: 'validate',
    tiers: input.plan.tiers.map((t) => t.tier),
    applied: 0,
    total: input.plan.total,
    created: 0,
    configured: 0,
    unchanged: 0,
    waitingFor: [],
    startedAt,
    elapsedMs: 0,
  };
  setHandler(deployProgressQuery, () => ({
    ...progress,
    waitingFor: progress.waitingFor.map((w) => ({ ...w })),
    elapsedMs: Date.now() - startedAt,
  }));
  setHandler(rolloutStatusSignal, (r) => {
    const w = progress.waitingFor.find((x) => x.workload === r.workload);
    if (w) Object.assign(w, r);
  });

  const changes = await validating.validateDeploy(input);
  const validatedAt = Date.now();

  progress.phase = 'apply';
  const applied: DeployOutcome['applied'] = [];
  const rolledOut: DeployOutcome['rollouts'] = [];
  for (const t of input.plan.tiers) {
    progress.tier = t.tier;
    for (const obj of t.objects) {
      const outcome = await applying.applyObject(input.target, obj);
      applied.push({ ref: obj.ref, outcome });
      progress.applied++;
      progress[outcome]++;
    }
    const workloads = t.objects.filter((o) => WAITED_FOR.includes(o.ref.kind));
    const tierStart = Date.now();
    progress.waitingFor = workloads.map((w) => ({
      workload: `${w.ref.kind} ${w.ref.namespace ? `${w.ref.namespace}/` : ''}${w.ref.name}`,
      ready: 0,
      desired: 0,
      detail: 'waiting',
    }));
    await Promise.all(
      workloads.map(async (w) => {
        const name = `${w.ref.kind} ${w.ref.namespace ? `${w.ref.namespace}/` : ''}${w.ref.name}`;
        await rollouts.awaitRollout(input.target, w.ref, timeoutMs);
        progress.waitingFor = progress.waitingFor.filter((x) => x.workload !== name);
        rolledOut.push({ workload: name, tier: t.tier, ms: Date.now() - tierStart });
      }),
    );
  }
  progress.phase = 'done';
  progress.tier = undefined;
  const finishedAt = Date.now();
  if (applied.length !== input.plan.total)
    throw ApplicationFailure.nonRetryable(`applied ${applied.length} of ${input.plan.total} objects`);
  return {
    context: input.target.context,
    startedAt,
    validatedAt,
    finishedAt,
    planned: {
      create: changes.filter((c) => c.change === 'create').length,
      update: changes.filter((c) => c.change === 'update').length,
      unchanged: changes.filter((c) => c.change === 'unchanged').length,
    },
    created: progress.created,
    configured: progress.configured,
    unchanged: progress.unchanged,
    applied,
    rollouts: rolledOut,
  };
}
