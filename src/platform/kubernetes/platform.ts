// The Platform interface over a Kubernetes cluster. A member is a pod: for a StatefulSet the member
// index is the pod ordinal (Kafka broker id n → pod kafka-n), for a Deployment or DaemonSet the
// n-th of its pods by name. kill = delete the pod (SIGKILL → grace 0, anything else → the pod's
// own grace period); the platform heals by itself (the controller recreates the pod), so restart
// = watch until the member is back and Ready. Components, namespaces and replica counts come from
// the topology model; endpoints (what the drills' clients connect to) from a configured map,
// because the runner may sit outside the cluster.
//
// Refused before anything is touched: an unknown context, a namespace outside the allowlist, a
// context not marked disposable without --confirm-context naming it (for kill), a missing RBAC
// permission (checked with SelfSubjectAccessReview, named verb + resource).
import { component as componentOf, type Component, type Topology } from '../../topology/model.ts';
import { loadTopology } from '../../topology/load.ts';
import { UserError } from '../../util/errors.ts';
import { own } from '../../util/own.ts';

import type {
  MemberDescription,
  MemberHealth,
  Platform,
  PlatformMember,
  PlatformRef,
  WorkloadDescription,
} from '../platform.ts';
import { KubeApi, type KubeObject } from './api.ts';
import { ENDPOINTS_ENV, endpointsFromEnv } from './endpoints.ts';
import { loadContext, requireChangeAllowed, type LoadedContext } from './kubeconfig.ts';
import { awaitRollout } from './rollout.ts';
import { AccessChecker, assertNamespaceAllowed, checkAllowlist, type AccessCheck } from './safety.ts';

export { ENDPOINTS_ENV, endpointsFromEnv, readEndpoints, type EndpointMap } from './endpoints.ts';

/** Pod ordinal of a member given as a number, "2" or "kafka-2". */
export function memberOrdinal(component: string, member: string | number): number {
  if (typeof member === 'number' && Number.isInteger(member) && member >= 0) return member;
  const m = /^(?:(.+)-)?(\d+)$/.exec(String(member));
  if (!m || (m[1] !== undefined && m[1] !== component))
    throw new UserError(
      `"${member}" is not a member of ${component}`,
      `give its index or pod name, e.g. 0 or ${component}-0`,
    );
  return Number(m[2]);
}

export interface PodView {
  name: string;
  ordinal: number;
  uid?: string;
  ready: boolean;
  phase: string;
  node?: string;
  terminating: boolean;
}

type Pod = KubeObject & {
  metadata: { uid?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string; message?: string }[] };
};

const podReady = (p: Pod | null) =>
  Boolean(
    p &&
    !p.metadata.deletionTimestamp &&
    p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );

export class KubernetesPlatform implements Platform {
  readonly ref: PlatformRef;
  readonly context: LoadedContext;
  readonly api: KubeApi;
  readonly allowlist: string[];
  private readonly access: AccessChecker;
  private readonly topology: Topology;
  private serverVersion?: string;

  constructor(ref: PlatformRef, deps: { topology?: Topology; env?: NodeJS.ProcessEnv } = {}) {
    if (ref.kind !== 'kubernetes' || !ref.context)
      throw new UserError('the Kubernetes platform needs a context', 'pass --context <name>');
    this.ref = ref;
    this.topology = deps.topology ?? loadTopology();
    this.context = loadContext({ context: ref.context, kubeconfig: ref.kubeconfig }, deps.env);
    this.api = new KubeApi(this.context.kc);
    const user = this.context.kc.getCurrentUser();
    this.access = new AccessChecker(this.context.kc, user?.impersonateUser ?? user?.name ?? 'unknown user');
    this.allowlist = checkAllowlist(
      ref.namespaces ?? [...new Set(this.topology.namespaces.map((n) => n.name))],
      ref.namespaces !== undefined,
    );
  }

  private component(name: string): Component {
    try {
      return componentOf(this.topology, name);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  }

  /** The component's workload, refused outside the allowlist. */
  private target(name: string): Component {
    const c = this.component(name);
    assertNamespaceAllowed(c.namespace, this.allowlist);
    return c;
  }

  private workloadRef(c: Component) {
    return { apiVersion: 'apps/v1', kind: c.kind, name: c.name, namespace: c.namespace };
  }

  private read(c: Component): AccessCheck[] {
    const resource = `${c.kind.toLowerCase()}s`;
    return [
      { verb: 'get', resource, group: 'apps', namespace: c.namespace },
      { verb: 'get', resource: 'pods', namespace: c.namespace },
      { verb: 'list', resource: 'pods', namespace: c.namespace },
      { verb: 'watch', resource: 'pods', namespace: c.namespace },
    ];
  }

  endpoints(component: string): Record<string, string> {
    const map = this.ref.endpoints ?? endpointsFromEnv();
    const found = own(map, component);
    if (!found) {
      throw new UserError(
        `no endpoints configured for ${component} on context ${this.ref.context}`,
        `pass --endpoints <file> or set ${ENDPOINTS_ENV} to e.g. {"${component}": {…}} with addresses the runner can reach (a LoadBalancer, a port-forward, or the in-cluster Service DNS names of deploy/runner/worker.yaml)`,
      );
    }
    return found;
  }

  info(component: string): Record<string, unknown> {
    const c = this.component(component);
    return {
      platform: 'kubernetes',
      context: this.ref.context,
      namespace: c.namespace,
      workload: `${c.kind}/${c.name}`,
      settings: c.env,
      voters: undefined,
    };
  }

  members(component: string): PlatformMember[] {
    const c = this.component(component);
    return Array.from({ length: c.replicas ?? 0 }, (_, i) => ({ name: `${c.name}-${i}`, index: i }));
  }

  /** The live pods of a component's workload, by ordinal (StatefulSet) or by name. */
  async pods(component: string): Promise<{ component: Component; desired: number; pods: PodView[] }> {
    const c = this.target(component);
    await this.access.require(this.read(c), `read ${c.kind} ${c.namespace}/${c.name}`);
    const workload = await this.api.get<KubeObject>(this.workloadRef(c));
    if (!workload)
      throw new UserError(
        `${c.kind} ${c.namespace}/${c.name} does not exist on context ${this.ref.context}`,
        'deploy the topology first (`firedrill deploy`)',
      );
    const spec = workload.spec as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
    const selector = Object.entries(spec.selector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const list = await this.api.list<Pod>(
      { apiVersion: 'v1', kind: 'Pod', namespace: c.namespace },
      { labelSelector: selector },
    );
    const sorted = list.items.sort((a, b) =>
      a.metadata.name.localeCompare(b.metadata.name, undefined, { numeric: true }),
    );
    const pods = sorted.map((p, i) => ({
      name: p.metadata.name,
      ordinal: c.kind === 'StatefulSet' ? Number(p.metadata.name.slice(c.name.length + 1)) : i,
      uid: p.metadata.uid,
      ready: podReady(p),
      phase: p.status?.phase ?? 'Unknown',
      node: p.spec?.nodeName,
      terminating: Boolean(p.metadata.deletionTimestamp),
    }));
    const desired =
      c.kind === 'DaemonSet'
        ? ((workload.status as { desiredNumberScheduled?: number })?.desiredNumberScheduled ?? pods.length)
        : (spec.replicas ?? 1);
    return { component: c, desired, pods };
  }

  /** Which pod a kill of `member` deletes (no change made). */
  async podFor(component: string, member: string | number): Promise<PodView & { namespace: string }> {
    const { component: c, desired, pods } = await this.pods(component);
    const ordinal = memberOrdinal(c.name, member);
    if (c.kind === 'StatefulSet' && ordinal >= desired) {
      throw new UserError(
        `${c.name} has ${desired} replicas: there is no member ${ordinal}`,
        `choose 0..${desired - 1}`,
      );
    }
    const pod = pods.find((p) => p.ordinal === ordinal);
    if (!pod)
      throw new UserError(
        `member ${ordinal} of ${c.name} has no pod right now in ${c.namespace}`,
        'wait for the workload to be Ready',
      );
    return { ...pod, namespace: c.namespace };
  }

  async describe(component: string, member: string | number): Promise<MemberDescription> {
    const pod = await this.podFor(component, member);
    return {
      name: pod.name,
      index: pod.ordinal,
      incarnation: pod.uid ?? 'unknown',
      up: pod.ready,
      terminating: pod.terminating,
      host: pod.node,
      place: `${pod.namespace}/${pod.name}`,
    };
  }

  async workload(component: string): Promise<WorkloadDescription> {
    const { component: c, desired } = await this.pods(component);
    return { workload: `${c.kind} ${c.namespace}/${c.name}`, replicas: desired };
  }

  /** Every refusal a kill of the component would meet, checked without changing anything. */
  async checkKill(component: string): Promise<void> {
    await this.killable(component);
  }

  private async killable(component: string): Promise<Component> {
    const c = this.target(component);
    requireChangeAllowed(this.context, this.ref.confirmContext, 'drill');
    await this.access.require(
      [...this.read(c), { verb: 'delete', resource: 'pods', namespace: c.namespace }],
      `kill a member of ${c.name}`,
    );
    return c;
  }

  async kill(component: string, member: string | number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = await this.killable(component);
    const pod = await this.podFor(component, member);
    // SIGKILL has no grace: the pod object goes at once (a force delete on a real node; the
    // ReadWriteOnce volume keeps a recreated member from writing while the old one dies).
    await this.api.delete(
      { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: c.namespace },
      { gracePeriodSeconds: signal === 'SIGKILL' ? 0 : undefined, preconditionUid: pod.uid },
    );
  }

  /**
   * The controller brings the member back by itself: resolves once it is Ready again (a watch on
   * the pod, or on the workload when no member is named). Returns the members that were not Ready.
   */
  async restart(
    component: string,
    member?: string | number,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<string[]> {
    const c = this.target(component);
    await this.access.require(this.read(c), `watch ${c.name} recover`);
    const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    if (member === undefined || c.kind !== 'StatefulSet') {
      const before = await this.pods(component);
      const down = before.pods.filter((p) => !p.ready).map((p) => p.name);
      await awaitRollout(this.api, this.workloadRef(c), { timeoutMs, signal: opts.signal });
      return down;
    }
    const name = `${c.name}-${memberOrdinal(c.name, member)}`;
    let wasDown = false;
    await this.api.watchObject<Pod, true>(
      { apiVersion: 'v1', kind: 'Pod', name, namespace: c.namespace },
      (p) => {
        if (podReady(p)) return true;
        wasDown = true;
        return undefined;
      },
      {
        timeoutMs,
        signal: opts.signal,
        onTimeout: () =>
          new Error(
            `pod ${c.namespace}/${name} was not Ready again within ${Math.round(timeoutMs / 1000)} s`,
          ),
      },
    );
    return wasDown ? [name] : [];
  }

  async health(component: string): Promise<MemberHealth[]> {
    const { component: c, desired, pods } = await this.pods(component);
    if (c.kind !== 'StatefulSet')
      return pods.map((p) => ({
        member: p.name,
        up: p.ready,
        detail: `${p.phase}${p.node ? ` on ${p.node}` : ''}${p.terminating ? ', terminating' : ''}`,
      }));
    return Array.from({ length: desired }, (_, i) => {
      const p = pods.find((x) => x.ordinal === i);
      const member = `${c.name}-${i}`;
      if (!p) return { member, up: false, detail: 'no pod (being recreated)' };
      return {
        member,
        up: p.ready,
        detail: `${p.phase}${p.ready ? ', Ready' : ', not Ready'}${p.node ? ` on ${p.node}` : ''}${p.terminating ? ', terminating' : ''}`,
      };
    });
  }

  /** The API server's version (cached for versions(), which is synchronous). */
  async fetchServerVersion(): Promise<string> {
    this.serverVersion ??= (await this.api.request<{ gitVersion: string }>('GET', '/version')).gitVersion;
    return this.serverVersion;
  }

  versions(): Record<string, string> {
    return {
      platform: 'kubernetes',
      context: this.ref.context!,
      ...(this.serverVersion ? { kubernetes: this.serverVersion } : {}),
      node: process.version,
    };
  }
}
