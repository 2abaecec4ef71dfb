// The guard rails of the Kubernetes path, checked before anything is touched: the namespace
// allowlist, and the caller's own RBAC permissions (SelfSubjectAccessReview: "may I?"), so a
// missing permission is refused up front naming the verb and the resource, never discovered
// half-way through a fault.
import { AuthorizationV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../../util/errors.ts';

/**
 * Never drilled, whatever the allowlist says: every kube-* namespace (kube-system, kube-public,
 * kube-node-lease, and the add-ons that follow the convention: kube-flannel, kube-proxy…).
 */
export const SYSTEM_NAMESPACE_PREFIX = 'kube-';
/** Where whatever nobody placed ends up: drilled only when the operator names it (--namespaces). */
export const SHARED_NAMESPACE = 'default';

/**
 * Checks an allowlist. `explicit`: the operator typed it (--namespaces); otherwise it was derived
 * (from the topology), and `default` in it is refused.
 */
export function checkAllowlist(namespaces: string[], explicit = true): string[] {
  const invalid = namespaces.filter((n) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || n.length > 63);
  if (invalid.length)
    throw new UserError(
      `"${invalid.join('", "')}" is not a namespace name`,
      'namespaces are lower-case letters, digits and dashes (--namespaces a,b)',
    );
  const bad = namespaces.filter((n) => n.startsWith(SYSTEM_NAMESPACE_PREFIX));
  if (bad.length)
    throw new UserError(
      `namespace ${bad.join(', ')} cannot be allowlisted`,
      `firedrill never touches a ${SYSTEM_NAMESPACE_PREFIX}* namespace`,
    );
  if (!explicit && namespaces.includes(SHARED_NAMESPACE))
    throw new UserError(
      `namespace ${SHARED_NAMESPACE} is not drilled unless it is allowlisted by name`,
      `pass --namespaces ${SHARED_NAMESPACE},… if it is meant to be drilled`,
    );
  return namespaces;
}

export function assertNamespaceAllowed(namespace: string, allowlist: string[]): void {
  if (!allowlist.includes(namespace)) {
    throw new UserError(
      `namespace ${namespace} is not in the allowlist (${allowlist.join(', ') || 'empty'})`,
      'add it with --namespaces if it is meant to be drilled',
    );
  }
}

export interface AccessCheck {
  verb: string;
  resource: string;
  group?: string;
  namespace?: string;
}

export const describeAccess = (c: AccessCheck): string =>
  `${c.verb} ${c.group ? `${c.resource}.${c.group}` : c.resource}${c.namespace ? ` in namespace ${c.namespace}` : ' (cluster-wide)'}`;

/** Asks the API server, as the caller, whether each action is allowed. Caches answers. */
export class AccessChecker {
  private cache = new Map<string, Promise<{ allowed: boolean; reason?: string }>>();
  private api: AuthorizationV1Api;

  constructor(
    kc: KubeConfig,
    private readonly who: string,
  ) {
    this.api = kc.makeApiClient(AuthorizationV1Api);
  }

  private ask(c: AccessCheck) {
    const key = JSON.stringify(c);
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.api
        .createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: {
              resourceAttributes: {
                verb: c.verb,
                resource: c.resource,
                group: c.group ?? '',
                namespace: c.namespace,
              },
            },
          },
        })
        .then((r) => ({ allowed: Boolean(r.status?.allowed), reason: r.status?.reason }));
      pending.catch(() => this.cache.delete(key));
      this.cache.set(key, pending);
    }
    return pending;
  }

  /** Refuses, naming every missing permission, unless all are granted. */
  async require(checks: AccessCheck[], purpose: string): Promise<void> {
    const answers = await Promise.all(checks.map(async (c) => ({ c, a: await this.ask(c) })));
    const missing = answers.filter((x) => !x.a.allowed).map((x) => x.c);
    if (missing.length) {
      throw new UserError(
        `missing RBAC permission to ${purpose}: ${missing.map(describeAccess).join('; ')} (as ${this.who})`,
        'grant it (see deploy/runner/rbac.yaml) or use credentials that have it; nothing was changed',
      );
    }
  }
}
