// `firedrill run <drill>`: the on-demand failover rehearsal. Validates everything before anything
// starts, brings up what the drill needs, runs drillWorkflow with live progress, prints the verdict.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { DrillInput } from '../../activities/types.ts';
import { drillWorkflow } from '../../workflows/drill.ts';
import { TASK_QUEUE, abortSignal, progressQuery, targetWorkflowId } from '../../workflows/names.ts';
import { getDrill, loadCatalogue } from '../drill/catalogue.ts';
import { parseOptionPairs } from '../drill/options.ts';
import { checkPlatformSupports } from '../drill/requirements.ts';
import { planRun, type DrillPlan, type RunRequest } from '../drill/validate.ts';
import type { DrillResult } from '../measure/types.ts';
import { formatDuration } from '../topology/duration.ts';
import { loadTopology } from '../topology/load.ts';
import { UserError } from '../util/errors.ts';
import { ENDPOINTS_ENV } from '../platform/kubernetes/endpoints.ts';
import { afterRun } from './after-run.ts';
import { exitCodeOf, faultLeftLines } from './verdict-exit.ts';
import { bootstrap } from './bootstrap.ts';
import { leftInPlaceText, onInterrupt } from './interrupt.ts';
import { kubernetesPreflight, platformRefFrom, type PlatformFlags } from './kubernetes.ts';
import { followProgress, verdictTable } from './progress.ts';
import { LiveConsole } from './live-console.ts';
import { parseRepeat, repeatRuns, repeatSummary } from './repeat.ts';
import { runLogDestination, WORKER_LOG } from './run-log.ts';
import { sandboxNameArg } from '../util/names.ts';
import { newRunId, reportsDir } from '../util/runs.ts';

export async function planFor(req: RunRequest): Promise<DrillPlan> {
  return planRun(await getDrill(req.drill), req, loadTopology());
}

/** Starts a drill workflow on its target's id; a second drill on the same target is refused. */
export async function startDrill(client: Client, input: DrillInput, target: string) {
  const workflowId = targetWorkflowId(input.platform, target);
  try {
    return await client.workflow.start(drillWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
      memo: { runId: input.runId, drill: input.drill, variant: input.variant ?? '' },
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await client.workflow.getHandle(workflowId).describe();
    const memo = (running.memo ?? {}) as { runId?: string; drill?: string };
    throw new UserError(
      `a drill is already running on ${target}: ${memo.drill ?? 'unknown drill'} run ${memo.runId ?? '?'} (workflow ${workflowId}, started ${running.startTime.toISOString()})`,
      `wait for it, or stop it with \`firedrill abort ${target}\``,
    );
  }
}

/** The drill's result; a drill refused before injection (preflight) becomes a one-line error. */
export async function drillResult(handle: WorkflowHandle): Promise<DrillResult> {
  try {
    return (await handle.result()) as DrillResult;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const why = err.cause?.message ?? err.message;
      throw new UserError(
        `the drill was refused before anything was injected: ${why.replace(/^.*?UserError: /, '')}`,
      );
    }
    throw err;
  }
}

function printPlan(plan: DrillPlan, variantDescription: string): void {
  console.log(`drill      ${plan.drill} — ${plan.title}`);
  console.log(`variant    ${plan.variant}: ${variantDescription}`);
  console.log(`hypothesis ${plan.hypothesis}`);
  console.log(
    `target     ${plan.component} (${plan.scenario}): RTO ${formatDuration(plan.targets.rtoMs)}, RPO ${plan.targets.rpoMs === null ? 'reported, not promised' : formatDuration(plan.targets.rpoMs)} — ${plan.targets.source}`,
  );
  console.log(`deadline   ${formatDuration(plan.deadlineMs)} (then BREACHED, and the fault is reverted)`);
  console.log(
    `probe      a canary every ${plan.probeIntervalMs} ms (open loop, ${plan.probeTimeoutMs} ms timeout each), a success within ${plan.latencyBoundMs === null ? 'the latency bound derived from the steady state (max(5 × p99, 100 ms))' : `${plan.latencyBoundMs} ms`}; service recovered at the completion of the first of ${plan.consecutiveOk} consecutive successes`,
  );
  console.log(`options    ${JSON.stringify(plan.options)}`);
  console.log(`needs      ${plan.needs.join(', ')}`);
  console.log(
    'steps      validate → steady state → ledger → inject (T0) → confirm the fault → watch recovery → verify data → compensate → record',
  );
}

/** One run of the drill with its live row; Ctrl-C aborts it and waits for the revert. */
async function runOnce(
  client: Client,
  plan: DrillPlan,
  req: RunRequest,
  platform: DrillInput['platform'],
  opts: { sandbox: string },
  runId: string,
  live: LiveConsole,
  index: number,
): Promise<{ result: DrillResult; interrupted: boolean }> {
  const input: DrillInput = {
    runId,
    drill: plan.drill,
    variant: plan.variant,
    options: plan.options, // checked and typed once: the raw strings stay here
    targets: req.targets,
    deadline: req.deadline,
    platform,
    reportsDir: reportsDir(),
  };
  const handle = await startDrill(client, input, plan.target);
  // From here on Ctrl-C aborts and waits for the revert: this worker may be the drill's only one.
  const interrupt = onInterrupt({
    what: `drill ${plan.drill}/${plan.variant} (run ${input.runId})`,
    abort: (reason) => handle.signal(abortSignal, reason),
    leftInPlace: async () =>
      leftInPlaceText(await handle.query(progressQuery).catch(() => undefined), {
        ...input,
        workflowId: handle.workflowId,
        sandbox: platform.kind === 'local' ? opts.sandbox : undefined,
      }),
  });
  try {
    if (!live.tty) console.error(`  run ${input.runId} (workflow ${handle.workflowId})`);
    await followProgress(handle, live, index);
    const result = await drillResult(handle).catch((err: unknown) => {
      live.finish(index, 'refused');
      throw err;
    });
    live.finish(index, result.verdict);
    live.draw();
    return { result, interrupted: interrupt.interrupted };
  } finally {
    interrupt.dispose();
    await interrupt.idle(); // before the caller closes the connection a query may still use
  }
}

export function runCommand(program: Command): void {
  program
    .command('run <drill>')
    .description('run one drill now (on-demand failover rehearsal)')
    .option('--variant <variant>', 'which variant (see `firedrill drills`)')
    .option('--option <key=value...>', 'drill option, repeatable', [])
    .option('--rto <duration>', 'override the target RTO (e.g. 30s)')
    .option('--rpo <duration>', 'override the target RPO (e.g. 0)')
    .option('--deadline <duration>', 'give up watching recovery after this long (default 2 × RTO, capped)')
    .option(
      '--sandbox <name>',
      'local sandbox to run on (with --platform kubernetes: where the results database and Temporal run)',
      sandboxNameArg('--sandbox'),
      'default',
    )
    .option('--platform <kind>', 'local or kubernetes', 'local')
    .option('--context <name>', 'kubernetes: the kubeconfig context to drill')
    .option('--kubeconfig <file>', 'kubernetes: kubeconfig file (default $KUBECONFIG or ~/.kube/config)')
    .option(
      '--namespaces <list>',
      "kubernetes: comma-separated namespaces the drill may touch (default: the topology's)",
    )
    .option(
      '--confirm-context <name>',
      'kubernetes: name the context again to drill one not marked disposable',
    )
    .option(
      '--endpoints <file>',
      `kubernetes: JSON map component → endpoints for the drill's clients (default: ${ENDPOINTS_ENV})`,
    )
    .option('--dry-run', 'print the plan and inject nothing (on Kubernetes: the pods it would touch)')
    .option('--json', 'print the result record as the last line (one per run with --repeat)')
    .option(
      '--repeat <n>',
      'run the drill n times, one after another, with min / median / p95 / max',
      parseRepeat,
    )
    .option(
      '--verbose',
      "also show the worker's logs on stderr (human format); they are always in reports/<runId>/worker.log",
    )
    .option('--down', 'stop the local sandbox when the drill is over (its results history is kept)')
    .action(
      async (
        name: string,
        opts: {
          variant?: string;
          option: string[];
          rto?: string;
          rpo?: string;
          deadline?: string;
          sandbox: string;
          dryRun?: boolean;
          json?: boolean;
          down?: boolean;
          repeat?: number;
          verbose?: boolean;
        } & PlatformFlags,
      ) => {
        const req: RunRequest = {
          drill: name,
          variant: opts.variant,
          options: parseOptionPairs(opts.option),
          targets: { rto: opts.rto, rpo: opts.rpo },
          deadline: opts.deadline,
        };
        const drill = await getDrill(name);
        const plan = planRun(drill, req, loadTopology()); // every refusal happens here, before anything starts
        const platform = platformRefFrom(opts);
        await checkPlatformSupports(drill, platform);
        const touched =
          platform.kind === 'kubernetes' ? await kubernetesPreflight(platform, plan, drill) : undefined;
        if (opts.dryRun) {
          printPlan(plan, drill.variants[plan.variant]!.description);
          for (const line of touched ?? []) console.log(line);
          console.log('dry run: nothing started, nothing injected');
          return;
        }
        const runIds = repeatRuns(
          [{ runId: newRunId(plan.drill, plan.variant), drill: plan.drill, variant: plan.variant }],
          opts.repeat ?? 1,
          newRunId,
        ).map((r) => r.runId);
        // The worker's logs: a file per run, so the console shows only the live view.
        const logs = runLogDestination({
          runsDir: reportsDir(),
          fallback: join(reportsDir(), runIds[0]!, WORKER_LOG),
          verbose: opts.verbose,
        });
        const env = await bootstrap({
          sandbox: opts.sandbox,
          needs: platform.kind === 'local' ? plan.needs : [],
          log: logs,
        });
        const results: DrillResult[] = [];
        let interrupted = false;
        try {
          const label = `${plan.drill}/${plan.variant}`;
          const live = new LiveConsole({
            title: `firedrill run ${label}${runIds.length > 1 ? ` × ${runIds.length}` : ''}`,
            labels: runIds.map((_, i) => (runIds.length > 1 ? `${label} #${i + 1}` : label)),
            logs:
              runIds.length > 1
                ? join(reportsDir(), '<runId>', WORKER_LOG)
                : join(reportsDir(), runIds[0]!, WORKER_LOG),
          });
          try {
            for (const [index, runId] of runIds.entries()) {
              if (interrupted) break; // Ctrl-C: no further repeat starts
              const result = await runOnce(env.client, plan, req, platform, opts, runId, live, index);
              interrupted ||= result.interrupted;
              results.push(result.result);
            }
          } finally {
            live.stop();
          }
          console.log(verdictTable(results));
          if (results.length > 1) console.log(`\n${repeatSummary(results)}`);
          for (const r of results) console.log(`report: ${r.evidence.artifactsDir}result.json`);
          if (opts.json) for (const r of results) console.log(JSON.stringify(r));
          // What is still broken, last and on stderr: the line an operator must not miss.
          for (const line of faultLeftLines(results)) console.error(line);
          // An interrupted run is never a success, even if it ended before the abort took effect.
          const code = exitCodeOf(results);
          process.exitCode = code === 0 && (interrupted || results.length < runIds.length) ? 1 : code;
        } finally {
          await env.close();
          // On stderr: with --json the result record stays the last line of stdout.
          if (platform.kind === 'local') await afterRun(opts.sandbox, opts.down);
        }
      },
    );

  program
    .command('abort <component>')
    .description("the red button: revert the running drill's fault on a target now (verdict ABORTED)")
    .option('--sandbox <name>', 'local sandbox', sandboxNameArg('--sandbox'), 'default')
    .option('--context <name>', 'the Kubernetes context the drill runs on (default: the local sandbox)')
    .option('--reason <text>', 'why', 'aborted by the operator')
    .action(async (component: string, opts: { sandbox: string; context?: string; reason: string }) => {
      const env = await bootstrap({ sandbox: opts.sandbox, needs: [], externalWorker: true, quiet: true });
      try {
        const id = targetWorkflowId(
          opts.context
            ? { kind: 'kubernetes', context: opts.context }
            : { kind: 'local', sandbox: opts.sandbox },
          component,
        );
        await env.client.workflow.getHandle(id).signal(abortSignal, opts.reason);
        console.log(`abort sent to ${id}`);
      } finally {
        await env.close();
      }
    });

  program
    .command('drills')
    .description('list the drill catalogue')
    .action(async () => {
      for (const d of (await loadCatalogue()).values()) {
        console.log(`${d.name.padEnd(26)} ${d.title}`);
        for (const [v, spec] of Object.entries(d.variants))
          console.log(`  ${v.padEnd(24)} ${spec.description}${v === d.defaultVariant ? ' (default)' : ''}`);
      }
    });
}
