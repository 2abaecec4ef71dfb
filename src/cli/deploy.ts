// `firedrill deploy --context <ctx>`: the SLO-Scout topology onto a cluster through
// deployTopologyWorkflow (durable: a killed worker's successor finishes it), with live progress.
// `--dry-run` asks the API server what would change (server-side dry run) and changes nothing.
import { resolve } from 'node:path';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Command } from 'commander';
import type { DeployInput, DeployOutcome } from '../../activities/kubernetes.ts';
import { deployTopologyWorkflow } from '../../workflows/deploy.ts';
import {
  TASK_QUEUE,
  deployProgressQuery,
  deployWorkflowId,
  type DeployProgress,
} from '../../workflows/names.ts';
import { describeRef } from '../platform/kubernetes/objects.ts';
import { dryRunPlan, type PlannedChange } from '../platform/kubernetes/apply.ts';
import type { ClusterTarget } from '../platform/kubernetes/kubeconfig.ts';
import { loadDeployPlan, type DeployPlan } from '../platform/kubernetes/plan.ts';
import { parseDuration } from '../topology/duration.ts';
import { UserError } from '../util/errors.ts';
import { bootstrap } from './bootstrap.ts';
import { sandboxNameArg } from '../util/names.ts';

export interface DeployOptions {
  context: string;
  kubeconfig?: string;
  confirmContext?: string;
  manifests?: string;
  image: string[];
  dryRun?: boolean;
  timeout: string;
  sandbox: string;
  json?: boolean;
}

export function changeTable(plan: DeployPlan, changes: PlannedChange[]): string {
  const lines: string[] = [];
  for (const t of plan.tiers) {
    lines.push(`${t.tier}:`);
    for (const o of t.objects) {
      const c = changes.find((x) => describeRef(x.ref) === describeRef(o.ref));
      const what = !c ? '?' : c.change === 'update' ? `update (${c.fields.join(', ')})` : c.change;
      lines.push(`  ${what.padEnd(10)} ${describeRef(o.ref)}`);
    }
  }
  const count = (k: PlannedChange['change']) => changes.filter((c) => c.change === k).length;
  lines.push(
    `${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged (${changes.length} objects)`,
  );
  return lines.join('\n');
}

export function deployProgressLine(p: DeployProgress): string {
  const waiting = p.waitingFor.map((w) => `${w.workload.split(' ')[1]} ${w.ready}/${w.desired}`).join(', ');
  return `deploy ${p.context} ${p.phase.padEnd(8)} ${(p.tier ?? '').padEnd(11)} ${p.applied}/${p.total} applied ${(p.elapsedMs / 1000).toFixed(1).padStart(6)} s${waiting ? `  waiting for ${waiting}` : ''}`;
}

/** Starts the deploy on its context's workflow id; a second deploy to the same context is refused. */
export async function startDeploy(
  client: Client,
  input: DeployInput,
): Promise<WorkflowHandle<typeof deployTopologyWorkflow>> {
  const workflowId = deployWorkflowId(input.target.context);
  try {
    return await client.workflow.start(deployTopologyWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    throw new UserError(
      `a deploy to ${input.target.context} is already running (workflow ${workflowId})`,
      'wait for it to finish',
    );
  }
}

/** The failure's own message (a refusal from an activity), without Temporal's wrapping. */
export function deployFailure(err: unknown): Error {
  if (err instanceof WorkflowFailedError) {
    let cause: unknown = err.cause;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    if (cause instanceof Error) return new UserError(`deploy failed: ${cause.message}`);
  }
  return err as Error;
}

async function follow(handle: WorkflowHandle): Promise<void> {
  const tty = process.stderr.isTTY;
  let last = '';
  let done = false;
  const result = handle.result().finally(() => (done = true));
  result.catch(() => {});
  while (!done) {
    try {
      const p = await handle.query(deployProgressQuery);
      const line = deployProgressLine(p);
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (`${p.phase}/${p.tier}` !== last) console.error(line);
      last = `${p.phase}/${p.tier}`;
    } catch {
      /* not started yet, or finished between checks */
    }
    await Promise.race([result.catch(() => {}), new Promise((r) => setTimeout(r, 1_000))]);
  }
  if (tty) process.stderr.write('\n');
}

export function deployCommand(program: Command): void {
  program
    .command('deploy')
    .description(
      'deploy the SLO-Scout topology (deploy/k8s) to a Kubernetes context, tier by tier, waiting for each rollout',
    )
    .requiredOption('--context <name>', 'kubeconfig context to deploy to')
    .option('--kubeconfig <file>', 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)')
    .option('--confirm-context <name>', 'name the context again to deploy to one not marked disposable')
    .option('--manifests <dir>', 'a kustomization folder to deploy instead of deploy/k8s')
    .option(
      '--image <name=image...>',
      'override an image, e.g. slo-scout/api=registry.example.com/slo-scout/api:1.4.2 (repeatable)',
      [],
    )
    .option('--dry-run', 'ask the API server what would change (server-side dry run); change nothing')
    .option('--timeout <duration>', 'give up on a workload that has not rolled out after this long', '10m')
    .option(
      '--sandbox <name>',
      'local sandbox whose Temporal runs the deploy workflow',
      sandboxNameArg('--sandbox'),
      'default',
    )
    .option('--json', 'print the outcome as JSON as the last line')
    .action(async (opts: DeployOptions) => {
      const plan = loadDeployPlan({ dir: opts.manifests, images: opts.image });
      const target: ClusterTarget = {
        context: opts.context,
        kubeconfig: opts.kubeconfig ? resolve(opts.kubeconfig) : undefined,
        confirmContext: opts.confirmContext,
      };
      // Loaded here, not at start-up: the Kubernetes client costs every other command half a second.
      const { loadContext, requireChangeAllowed } = await import('../platform/kubernetes/kubeconfig.ts');
      const { KubeApi } = await import('../platform/kubernetes/api.ts');
      const loaded = loadContext(target); // an unknown context is refused here
      let timeoutMs: number;
      try {
        timeoutMs = parseDuration(opts.timeout, '--timeout');
      } catch (err) {
        throw new UserError((err as Error).message);
      }
      if (opts.dryRun) {
        const changes = await dryRunPlan(new KubeApi(loaded.kc), plan);
        console.log(changeTable(plan, changes));
        console.log(`dry run against ${opts.context} (server-side): nothing was changed`);
        if (opts.json) console.log(JSON.stringify(changes));
        return;
      }
      requireChangeAllowed(loaded, opts.confirmContext, 'deploy to');
      const env = await bootstrap({ sandbox: opts.sandbox, needs: [] });
      try {
        const handle = await startDeploy(env.client, { target, plan, rolloutTimeoutMs: timeoutMs });
        console.error(
          `  deploying ${plan.total} objects in ${plan.tiers.length} tiers to ${opts.context} (workflow ${handle.workflowId})`,
        );
        await follow(handle);
        let outcome: DeployOutcome;
        try {
          outcome = await handle.result();
        } catch (err) {
          throw deployFailure(err);
        }
        const secs = ((outcome.finishedAt - outcome.startedAt) / 1000).toFixed(1);
        console.log(
          `deployed to ${outcome.context} in ${secs} s: ${outcome.created} created, ${outcome.configured} configured, ${outcome.unchanged} unchanged; ${outcome.rollouts.filter((r) => /^(Deployment|StatefulSet|DaemonSet) /.test(r.workload)).length} workloads Ready`,
        );
        if (opts.json) console.log(JSON.stringify(outcome));
      } finally {
        await env.close();
      }
    });
}
