// Temporal adapters for deployTopologyWorkflow over src/platform/kubernetes: each activity opens
// the context from serializable input, so any worker can run any step. Workflows import the types.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type pino from 'pino';
import type { KubeApi } from '../src/platform/kubernetes/api.ts';
import { describeRef, type ObjectRef } from '../src/platform/kubernetes/objects.ts';
import {
  applyObject,
  dryRunPlan,
  type ApplyOutcome,
  type PlannedChange,
} from '../src/platform/kubernetes/apply.ts';
import type { ClusterTarget } from '../src/platform/kubernetes/kubeconfig.ts';
import type { DeployPlan, PlannedObject } from '../src/platform/kubernetes/plan.ts';
import { awaitRollout, RolloutTimeout, type RolloutStatus } from '../src/platform/kubernetes/rollout.ts';
import { UserError } from '../src/util/errors.ts';
import { rolloutStatusSignal } from '../workflows/names.ts';

export interface DeployInput {
  target: ClusterTarget;
  plan: DeployPlan;
  /** Per workload; default 10 minutes. */
  rolloutTimeoutMs?: number;
}

export interface DeployOutcome {
  context: string;
  startedAt: number;
  validatedAt: number;
  finishedAt: number;
  /** What the server-side dry run said before anything was applied. */
  planned: { create: number; update: number; unchanged: number };
  created: number;
  configured: number;
  unchanged: number;
  applied: { ref: ObjectRef; outcome: ApplyOutcome }[];
  rollouts: { workload: string; tier: string; ms: number }[];
}

export interface KubernetesActivities {
  /** Server-side dry run of the whole plan; refuses (nothing applied) on any rejection. */
  validateDeploy(input: DeployInput): Promise<PlannedChange[]>;
  applyObject(target: ClusterTarget, obj: PlannedObject): Promise<ApplyOutcome>;
  awaitRollout(target: ClusterTarget, ref: ObjectRef, timeoutMs: number): Promise<RolloutStatus>;
}

async function nonRetryableOnRefusal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UserError)
      throw ApplicationFailure.create({ message: err.message, type: 'UserError', nonRetryable: true });
    if (err instanceof RolloutTimeout)
      throw ApplicationFailure.create({ message: err.message, type: 'RolloutTimeout', nonRetryable: true });
    throw err;
  }
}

export function createKubernetesActivities(deps: {
  log: pino.Logger;
  client?: Client;
}): KubernetesActivities {
  // The Kubernetes client is loaded by the first activity that needs it, not with the worker.
  const connect = async (target: ClusterTarget): Promise<KubeApi> => {
    const { loadContext, requireChangeAllowed } = await import('../src/platform/kubernetes/kubeconfig.ts');
    const { KubeApi } = await import('../src/platform/kubernetes/api.ts');
    const loaded = loadContext(target);
    requireChangeAllowed(loaded, target.confirmContext, 'deploy to');
    return new KubeApi(loaded.kc);
  };
  return {
    async validateDeploy(input) {
      return nonRetryableOnRefusal(async () => {
        const ctx = Context.current();
        const api = await connect(input.target);
        const changes = await dryRunPlan(api, input.plan, {
          onObject: (done, total) => ctx.heartbeat({ done, total }),
        });
        deps.log.info(
          {
            context: input.target.context,
            create: changes.filter((c) => c.change === 'create').length,
            update: changes.filter((c) => c.change === 'update').length,
          },
          'deploy validated by a server-side dry run',
        );
        return changes;
      });
    },

    async applyObject(target, obj) {
      return nonRetryableOnRefusal(async () => {
        const outcome = await applyObject(await connect(target), obj);
        deps.log.info({ context: target.context, object: describeRef(obj.ref), outcome }, 'applied');
        return outcome;
      });
    },

    async awaitRollout(target, ref, timeoutMs) {
      return nonRetryableOnRefusal(async () => {
        const ctx = Context.current();
        const workflowId = ctx.info.workflowExecution?.workflowId;
        const workload = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
        let last: RolloutStatus | undefined;
        const beat = setInterval(() => ctx.heartbeat(last?.detail), 2_000);
        try {
          return await awaitRollout(await connect(target), ref, {
            timeoutMs,
            signal: ctx.cancellationSignal,
            onStatus: (s) => {
              last = s;
              ctx.heartbeat(s.detail);
              if (!workflowId) return;
              void deps.client?.workflow
                .getHandle(workflowId)
                .signal(rolloutStatusSignal, {
                  workload,
                  ready: s.ready,
                  desired: s.desired,
                  detail: s.detail,
                })
                .catch(() => {});
            },
          });
        } finally {
          clearInterval(beat);
        }
      });
    },
  };
}
