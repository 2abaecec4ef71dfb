// `firedrill run … --platform kubernetes --context <ctx>`: the platform reference from the flags,
// the checks a run makes before anything starts (context, allowlist, disposable or confirmed,
// RBAC), and what `--dry-run` shows: the pods the drill would touch.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DrillDefinition } from '../drill/definition.ts';
import type { DrillPlan } from '../drill/validate.ts';
import { readEndpoints } from '../platform/kubernetes/endpoints.ts';
import type { PlatformRef } from '../platform/platform.ts';
import { UserError } from '../util/errors.ts';

export interface PlatformFlags {
  platform?: string;
  sandbox: string;
  context?: string;
  kubeconfig?: string;
  namespaces?: string;
  confirmContext?: string;
  endpoints?: string;
}

/** The platform reference a run travels with. `sandbox` keeps naming firedrill's own services. */
export function platformRefFrom(flags: PlatformFlags): PlatformRef {
  const kind = flags.platform ?? 'local';
  if (kind === 'local') {
    for (const [flag, v] of [
      ['--context', flags.context],
      ['--kubeconfig', flags.kubeconfig],
      ['--namespaces', flags.namespaces],
      ['--confirm-context', flags.confirmContext],
      ['--endpoints', flags.endpoints],
    ] as const) {
      if (v !== undefined)
        throw new UserError(`${flag} is for --platform kubernetes`, 'add --platform kubernetes');
    }
    return { kind: 'local', sandbox: flags.sandbox };
  }
  if (kind !== 'kubernetes') throw new UserError(`--platform "${kind}" is not local or kubernetes`);
  if (!flags.context)
    throw new UserError(
      '--platform kubernetes needs --context <name>',
      'name the kubeconfig context to drill',
    );
  let endpoints: PlatformRef['endpoints'];
  if (flags.endpoints) {
    let text: string;
    try {
      text = readFileSync(flags.endpoints, 'utf8');
    } catch (err) {
      throw new UserError(`cannot read --endpoints ${flags.endpoints}: ${(err as Error).message}`);
    }
    endpoints = readEndpoints(text, flags.endpoints);
  }
  return {
    kind: 'kubernetes',
    context: flags.context,
    sandbox: flags.sandbox,
    ...(flags.kubeconfig ? { kubeconfig: resolve(flags.kubeconfig) } : {}),
    ...(flags.namespaces
      ? {
          namespaces: flags.namespaces
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    ...(flags.confirmContext ? { confirmContext: flags.confirmContext } : {}),
    ...(endpoints ? { endpoints } : {}),
  };
}

/**
 * Everything a run on Kubernetes would refuse, checked now: the context and allowlist (in the
 * constructor), the disposable marker or --confirm-context, the RBAC permissions a kill needs.
 * Returns the pods the drill may touch, for --dry-run to show.
 */
export async function kubernetesPreflight(
  ref: PlatformRef,
  plan: DrillPlan,
  drill: DrillDefinition,
): Promise<string[]> {
  // Loaded here, not at start-up: the Kubernetes client costs every other command half a second.
  const { KubernetesPlatform } = await import('../platform/kubernetes/platform.ts');
  const platform = new KubernetesPlatform(ref);
  await platform.checkKill(plan.component);
  const { component, desired, pods } = await platform.pods(plan.component);
  const ordinal = plan.options.ordinal;
  const lines = [
    `platform   kubernetes, context ${ref.context} (${platform.context.disposable ? 'disposable' : `confirmed with --confirm-context ${ref.confirmContext}`}), namespaces ${platform.allowlist.join(', ')}`,
  ];
  lines.push(
    `workload   ${component.kind} ${component.namespace}/${component.name}: ${pods.filter((p) => p.ready).length}/${desired} Ready`,
  );
  if (typeof ordinal === 'number') {
    const pod = await platform.podFor(plan.component, ordinal);
    lines.push(
      `would delete pod ${component.namespace}/${pod.name} (grace 0)${pod.node ? ` on ${pod.node}` : ''}`,
    );
  } else {
    lines.push(
      `would delete one or more of these pods (grace 0), chosen at injection — ${drill.variants[plan.variant]!.description}:`,
    );
    for (const p of pods)
      lines.push(
        `  ${component.namespace}/${p.name}  ${p.ready ? 'Ready' : p.phase}${p.node ? `  on ${p.node}` : ''}`,
      );
  }
  return lines;
}
