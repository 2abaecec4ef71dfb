// When a workload has rolled out, decided from its status alone (pure), and the wait for it, on a
// watch of that one object. On a timeout the error says why: the pods that are not Ready and what
// the scheduler, the kubelet or the quota said about them.
import type { KubeApi } from './api.ts';
import { describeRef, type KubeObject, type ObjectRef } from './objects.ts';

export interface RolloutStatus {
  ref: ObjectRef;
  done: boolean;
  ready: number;
  desired: number;
  detail: string;
}

type Status = Record<string, number | string | undefined | unknown[]>;
type Condition = { type: string; status: string; reason?: string; message?: string };

/**
 * Deployment / StatefulSet: the controller has seen the current generation, every replica runs
 * the current template and is Ready, and no old replica is left. DaemonSet: the same per node
 * (numberReady == desiredNumberScheduled, all updated).
 */
export function rolloutStatus(o: KubeObject | null, ref?: ObjectRef): RolloutStatus {
  const r = ref ?? {
    apiVersion: o?.apiVersion ?? '',
    kind: o?.kind ?? '',
    name: o?.metadata.name ?? '',
    namespace: o?.metadata.namespace,
  };
  if (!o) return { ref: r, done: false, ready: 0, desired: 0, detail: 'does not exist' };
  if (o.kind === 'ResourceQuota') {
    // Until the quota controller has computed its usage, the admission refuses every pod.
    const hard = Object.keys((o.spec as { hard?: object })?.hard ?? {});
    const seen = (o.status as { hard?: Record<string, string> } | undefined)?.hard ?? {};
    const done = hard.every((k) => k in seen);
    return {
      ref: r,
      done,
      ready: done ? 1 : 0,
      desired: 1,
      detail: done ? 'usage computed' : 'usage not computed yet',
    };
  }
  if (o.kind === 'ServiceAccount') return { ref: r, done: true, ready: 1, desired: 1, detail: 'exists' };
  const spec = (o.spec ?? {}) as { replicas?: number };
  const status = (o.status ?? {}) as Status;
  const generation = (o.metadata as { generation?: number }).generation ?? 0;
  const observed = (status.observedGeneration as number | undefined) ?? 0;
  const n = (k: string) => (status[k] as number | undefined) ?? 0;
  const failure = ((status.conditions as Condition[] | undefined) ?? []).find(
    (c) =>
      (c.type === 'ReplicaFailure' && c.status === 'True') ||
      (c.type === 'Progressing' && c.status === 'False'),
  );
  let ready: number;
  let desired: number;
  let done: boolean;
  if (o.kind === 'DaemonSet') {
    desired = n('desiredNumberScheduled');
    ready = n('numberReady');
    done =
      observed >= generation &&
      ready === desired &&
      n('updatedNumberScheduled') === desired &&
      n('numberUnavailable') === 0;
  } else {
    desired = spec.replicas ?? 1;
    ready = n('readyReplicas');
    const updated = n('updatedReplicas');
    done = observed >= generation && ready === desired && updated === desired && n('replicas') === desired;
    if (
      o.kind === 'StatefulSet' &&
      status.updateRevision &&
      status.currentRevision &&
      status.updateRevision !== status.currentRevision &&
      updated !== desired
    )
      done = false;
  }
  const parts = [`${ready}/${desired} ready`];
  if (observed < generation) parts.push(`generation ${generation} not yet observed`);
  if (failure) parts.push(`${failure.reason ?? failure.type}: ${failure.message ?? ''}`.trim());
  return { ref: r, done, ready, desired, detail: parts.join(', ') };
}

function selectorOf(o: KubeObject): string | undefined {
  const labels = (o.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector
    ?.matchLabels;
  return labels
    ? Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : undefined;
}

/** Why a workload is not Ready: its pods' conditions and the recent warnings about it. Best effort. */
export async function diagnose(api: KubeApi, ref: ObjectRef): Promise<string> {
  const lines: string[] = [];
  try {
    const o = await api.get<KubeObject>(ref);
    if (!o) return `${describeRef(ref)} does not exist`;
    lines.push(`${describeRef(ref)}: ${rolloutStatus(o, ref).detail}`);
    const selector = selectorOf(o);
    if (selector) {
      const pods = await api.list<KubeObject>(
        { apiVersion: 'v1', kind: 'Pod', namespace: ref.namespace },
        { labelSelector: selector },
      );
      for (const pod of pods.items) {
        const st = (pod.status ?? {}) as {
          phase?: string;
          conditions?: Condition[];
          containerStatuses?: { name: string; state?: { waiting?: { reason?: string; message?: string } } }[];
        };
        const ready = st.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        if (ready) continue;
        const why = [
          ...(st.conditions ?? [])
            .filter((c) => c.status !== 'True' && c.message)
            .map((c) => `${c.type}: ${c.message}`),
          ...(st.containerStatuses ?? [])
            .filter((c) => c.state?.waiting)
            .map((c) =>
              `${c.name}: ${c.state!.waiting!.reason ?? 'waiting'} ${c.state!.waiting!.message ?? ''}`.trim(),
            ),
        ];
        lines.push(
          `  pod ${pod.metadata.name}: ${st.phase ?? 'unknown'}${why.length ? ` — ${why.join('; ')}` : ''}`,
        );
      }
    }
    const events = await api.list<{
      type?: string;
      reason?: string;
      message?: string;
      involvedObject?: { name?: string };
    }>({ apiVersion: 'v1', kind: 'Event', namespace: ref.namespace }, { fieldSelector: 'type=Warning' });
    const mine = events.items.filter((e) => e.involvedObject?.name?.startsWith(ref.name)).slice(-5);
    for (const e of mine)
      lines.push(`  warning ${e.reason ?? ''} (${e.involvedObject?.name}): ${e.message ?? ''}`);
  } catch (err) {
    lines.push(`(diagnosis incomplete: ${(err as Error).message})`);
  }
  return lines.join('\n');
}

export class RolloutTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutTimeout';
  }
}

/**
 * Resolves when the workload has rolled out (or a Namespace can take pods, a ResourceQuota has
 * computed its usage); reports every status change on the way.
 */
export async function awaitRollout(
  api: KubeApi,
  ref: ObjectRef,
  opts: { timeoutMs: number; signal?: AbortSignal; onStatus?: (s: RolloutStatus) => void },
): Promise<RolloutStatus> {
  let last = '';
  // A namespace is ready for pods once its "default" ServiceAccount exists (pods without one are
  // refused by the ServiceAccount admission until the controller has made it).
  const watched =
    ref.kind === 'Namespace'
      ? { apiVersion: 'v1', kind: 'ServiceAccount', name: 'default', namespace: ref.name }
      : ref;
  return api.watchObject<KubeObject, RolloutStatus>(
    watched,
    (o) => {
      const s = { ...rolloutStatus(o, watched), ref };
      if (s.detail !== last) {
        last = s.detail;
        opts.onStatus?.(s);
      }
      return s.done ? s : undefined;
    },
    {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onTimeout: async () =>
        new RolloutTimeout(
          `${describeRef(ref)} did not roll out within ${Math.round(opts.timeoutMs / 1000)} s:\n${await diagnose(api, ref)}`,
        ),
    },
  );
}
