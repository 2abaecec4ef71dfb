// Which cluster, as whom: a kubeconfig context, checked before anything talks to the API server.
// The disposable marker is a context extension in the kubeconfig (the file the operator owns):
//
//   contexts:
//     - name: kind-drills
//       context:
//         cluster: kind-drills
//         user: kind-drills
//         extensions:
//           - name: firedrill.io/disposable
//             extension: "true"
//
// A context without it is treated as precious: firedrill changes nothing in it unless the command
// names it again with --confirm-context <name>.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../../util/errors.ts';

export const DISPOSABLE_EXTENSION = 'firedrill.io/disposable';
/** The context name a worker running inside the cluster answers to (its own ServiceAccount). */
export const IN_CLUSTER_CONTEXT_ENV = 'FIREDRILL_IN_CLUSTER_CONTEXT';

export interface ClusterTarget {
  /** The kubeconfig context. */
  context: string;
  /** A kubeconfig file; default $KUBECONFIG (a path list) or ~/.kube/config. */
  kubeconfig?: string;
  /** Must equal `context` to act on a context that is not marked disposable. */
  confirmContext?: string;
}

export function kubeconfigFiles(explicit?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (explicit) return [resolve(explicit)];
  if (env.KUBECONFIG)
    return env.KUBECONFIG.split(delimiter)
      .filter(Boolean)
      .map((f) => resolve(f));
  return [join(homedir(), '.kube', 'config')];
}

/** True when this process runs in a pod and serves `context` with its own ServiceAccount. */
export function servesInCluster(context: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(
    env.KUBERNETES_SERVICE_HOST && env[IN_CLUSTER_CONTEXT_ENV] && env[IN_CLUSTER_CONTEXT_ENV] === context,
  );
}

export interface LoadedContext {
  kc: KubeConfig;
  context: string;
  disposable: boolean;
  /** Where the credentials came from, for messages. */
  source: string;
}

const truthy = (v: unknown): boolean =>
  v === true ||
  v === 'true' ||
  (typeof v === 'object' && v !== null && (v as Record<string, unknown>).disposable === true);

interface RawKubeconfig {
  clusters?: { name?: string }[];
  users?: { name?: string }[];
  contexts?: {
    name?: string;
    context?: { cluster?: string; user?: string; extensions?: { name?: string; extension?: unknown }[] };
  }[];
}

/**
 * The contexts marked disposable, read from the raw kubeconfig documents (client-node drops
 * context extensions), in KUBECONFIG order. A marker counts only where it describes what is really
 * used: kubectl takes each context, cluster and user from the first file that defines the name,
 * so the marker must sit on that winning context, in the same file that supplies its cluster and
 * its user. With KUBECONFIG=prod.yaml:kind.yaml both defining context `drills`, prod's API server
 * is the one talked to and kind's marker must not vouch for it. Pure over `texts`.
 */
export function disposableContexts(texts: string[]): Set<string> {
  const docs = texts.map((t) => (parseYaml(t) as RawKubeconfig | null) ?? {});
  const firstFileWith = (kind: 'clusters' | 'users' | 'contexts', name: string | undefined) =>
    name === undefined ? -1 : docs.findIndex((d) => (d[kind] ?? []).some((x) => x?.name === name));
  const out = new Set<string>();
  for (const [i, doc] of docs.entries()) {
    for (const c of doc.contexts ?? []) {
      if (!c?.name || out.has(c.name) || firstFileWith('contexts', c.name) !== i) continue;
      const marked = (c.context?.extensions ?? []).some(
        (e) => e?.name === DISPOSABLE_EXTENSION && truthy(e.extension),
      );
      const sameFile =
        firstFileWith('clusters', c.context?.cluster) === i && firstFileWith('users', c.context?.user) === i;
      if (marked && sameFile) out.add(c.name);
    }
  }
  return out;
}

/**
 * Loads the context, refusing an unknown one with the list of known ones. Does not check the
 * disposable marker (read-only commands need no confirmation): see `requireChangeAllowed`.
 */
export function loadContext(target: ClusterTarget, env: NodeJS.ProcessEnv = process.env): LoadedContext {
  const kc = new KubeConfig();
  if (servesInCluster(target.context, env)) {
    kc.loadFromCluster();
    return {
      kc,
      context: target.context,
      disposable: env.FIREDRILL_DISPOSABLE === 'true',
      source: 'in-cluster ServiceAccount',
    };
  }
  const files = kubeconfigFiles(target.kubeconfig, env).filter((f) => existsSync(f));
  if (!files.length) {
    const tried = kubeconfigFiles(target.kubeconfig, env).join(', ');
    throw new UserError(
      `no kubeconfig found (looked for ${tried})`,
      'pass --kubeconfig <file> or set KUBECONFIG',
    );
  }
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  for (const [i, file] of files.entries()) {
    const one = new KubeConfig();
    try {
      one.loadFromString(texts[i]!);
    } catch (err) {
      throw new UserError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
    }
    one.makePathsAbsolute(resolve(file, '..'));
    // kubectl's rule for a KUBECONFIG list: the first file that defines a name wins.
    if (i === 0) kc.mergeConfig(one, false);
    else {
      for (const c of one.getClusters()) if (!kc.getCluster(c.name)) kc.addCluster(c);
      for (const u of one.getUsers()) if (!kc.getUser(u.name)) kc.addUser(u);
      for (const c of one.getContexts()) if (!kc.getContextObject(c.name)) kc.addContext(c);
      if (!kc.getCurrentContext() && one.getCurrentContext()) kc.setCurrentContext(one.getCurrentContext());
    }
  }
  const known = kc.getContexts().map((c) => c.name);
  if (!known.includes(target.context)) {
    throw new UserError(
      `unknown context "${target.context}" in ${files.join(', ')}`,
      `known contexts: ${known.length ? known.join(', ') : 'none'}`,
    );
  }
  kc.setCurrentContext(target.context);
  return {
    kc,
    context: target.context,
    disposable: disposableContexts(texts).has(target.context),
    source: files.join(', '),
  };
}

/** Refuses to change anything in a context that is neither disposable nor confirmed by name. */
export function requireChangeAllowed(
  loaded: LoadedContext,
  confirmContext: string | undefined,
  what: string,
): void {
  if (loaded.disposable) return;
  if (confirmContext === loaded.context) return;
  if (confirmContext !== undefined) {
    throw new UserError(
      `--confirm-context "${confirmContext}" does not name the target context "${loaded.context}"`,
      `pass --confirm-context ${loaded.context} to ${what} it`,
    );
  }
  throw new UserError(
    `context "${loaded.context}" is not marked disposable`,
    `pass --confirm-context ${loaded.context} to ${what} it anyway, or mark it with the context extension ${DISPOSABLE_EXTENSION}: "true" in your kubeconfig`,
  );
}
