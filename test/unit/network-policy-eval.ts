// A small evaluator of Kubernetes NetworkPolicy ingress rules, for the unit tests of deploy/k8s's
// policies: firedrill's test node runs the CNI bridge plugin, which enforces none, so their intent
// is checked here, by the rules of the NetworkPolicy API (networking.k8s.io/v1), ingress only:
// - a pod no policy selects (for Ingress) accepts everything;
// - a selected pod accepts a connection if any selecting policy has a rule whose `from` and
//   `ports` both match (an absent or empty list matches all);
// - a peer with namespaceSelector and podSelector means both; podSelector alone means the
//   policy's own namespace; ipBlock matches addresses outside the cluster's pods only;
// - a named port matches the destination container's port of that name.

export type Labels = Record<string, string>;

interface Selector {
  matchLabels?: Labels;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
export interface NetworkPolicy {
  kind: 'NetworkPolicy';
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: Selector;
    policyTypes?: string[];
    ingress?: { from?: Peer[]; ports?: PolicyPort[] }[];
    egress?: unknown[];
  };
}

/** A pod (namespace and labels, the container ports it declares) or an address outside the cluster. */
export interface Endpoint {
  name: string;
  namespace?: string;
  labels: Labels;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  ip?: string;
}

export interface Flow {
  from: Endpoint;
  to: Endpoint;
  /** A number, or a port name (a port the destination does not declare yet, e.g. "metrics"). */
  port: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export function selects(selector: Selector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok = { In: inValues, NotIn: !inValues, Exists: has, DoesNotExist: !has }[e.operator];
    if (!ok) return false;
  }
  return true;
}

const ipv4 = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

const policyTypes = (p: NetworkPolicy) =>
  p.spec.policyTypes?.length ? p.spec.policyTypes : ['Ingress', ...(p.spec.egress ? ['Egress'] : [])];

export class PolicyEvaluator {
  constructor(
    private readonly policies: NetworkPolicy[],
    /** Each namespace's labels (including kubernetes.io/metadata.name, which the API server sets). */
    private readonly namespaceLabels: (namespace: string) => Labels,
  ) {}

  /** The policies that isolate this pod for ingress. */
  selecting(to: Endpoint): NetworkPolicy[] {
    if (!to.namespace) return [];
    return this.policies.filter(
      (p) =>
        p.metadata.namespace === to.namespace &&
        policyTypes(p).includes('Ingress') &&
        selects(p.spec.podSelector, to.labels),
    );
  }

  allows(flow: Flow): boolean {
    const isolating = this.selecting(flow.to);
    if (!isolating.length) return true;
    return isolating.some((p) =>
      (p.spec.ingress ?? []).some(
        (rule) =>
          (!rule.from?.length || rule.from.some((peer) => this.peerMatches(peer, p, flow.from))) &&
          (!rule.ports?.length || rule.ports.some((port) => portMatches(port, flow))),
      ),
    );
  }

  private peerMatches(peer: Peer, policy: NetworkPolicy, from: Endpoint): boolean {
    if (peer.ipBlock)
      return (
        !!from.ip &&
        !from.namespace &&
        inCidr(from.ip, peer.ipBlock.cidr) &&
        !(peer.ipBlock.except ?? []).some((c) => inCidr(from.ip!, c))
      );
    if (!from.namespace) return false; // pod and namespace selectors select pods only
    const namespaceOk = peer.namespaceSelector
      ? selects(peer.namespaceSelector, this.namespaceLabels(from.namespace))
      : from.namespace === policy.metadata.namespace;
    return namespaceOk && selects(peer.podSelector, from.labels);
  }
}

function portMatches(rule: PolicyPort, flow: Flow): boolean {
  if ((rule.protocol ?? 'TCP') !== (flow.protocol ?? 'TCP')) return false;
  if (rule.port === undefined) return true;
  const declared = flow.to.ports ?? [];
  if (typeof rule.port === 'string') {
    if (typeof flow.port === 'string') return rule.port === flow.port;
    return declared.some(
      (p) =>
        p.name === rule.port &&
        p.containerPort === flow.port &&
        (p.protocol ?? 'TCP') === (flow.protocol ?? 'TCP'),
    );
  }
  const number =
    typeof flow.port === 'number' ? flow.port : declared.find((p) => p.name === flow.port)?.containerPort;
  if (number === undefined) return false;
  return rule.endPort ? number >= rule.port && number <= rule.endPort : number === rule.port;
}
