// Server-side apply of one object, and the server-side dry run of a whole plan that comes before
// any change: every object is sent with dryRun=All and strict field validation, so a manifest the
// API server would reject is refused with the server's own message before anything is applied.
import { stringify as toYaml } from 'yaml';
import { UserError } from '../../util/errors.ts';
import type { KubeApi } from './api.ts';
import { describeRef, KubeApiError, type KubeObject, type ObjectRef } from './objects.ts';
import { allObjects, type DeployPlan, type PlannedObject } from './plan.ts';

export const FIELD_MANAGER = 'firedrill';

export type Change = 'create' | 'update' | 'unchanged';
export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

export interface PlannedChange {
  ref: ObjectRef;
  change: Change;
  /** Paths that would change (at most a few), for updates. */
  fields: string[];
  /** Set when the object's namespace does not exist yet and it was validated in another one. */
  validatedIn?: string;
}

/** The object as the user sees it: without what the server keeps for itself. */
export function comparable(o: unknown): unknown {
  if (!o || typeof o !== 'object') return o;
  const rest = { ...(o as Record<string, unknown>) };
  delete rest.status;
  const meta = { ...((rest.metadata as Record<string, unknown>) ?? {}) };
  for (const k of ['resourceVersion', 'managedFields', 'generation', 'creationTimestamp', 'uid'])
    delete meta[k];
  return { ...rest, metadata: meta };
}

/** Paths where two JSON values differ, depth first, at most `limit`. */
export function diffPaths(a: unknown, b: unknown, limit = 8, path = ''): string[] {
  if (Object.is(a, b)) return [];
  const bothObjects =
    a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [path || '.'];
  const out: string[] = [];
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return [`${path || '.'} (${a.length} → ${bb.length} items)`];
    for (let i = 0; i < a.length && out.length < limit; i++)
      out.push(...diffPaths(a[i], bb[i], limit - out.length, `${path}[${i}]`));
    return out;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) {
    if (out.length >= limit) break;
    out.push(...diffPaths(ao[k], bo[k], limit - out.length, path ? `${path}.${k}` : k));
  }
  return out;
}

/**
 * The server refused the manifest itself (invalid, unknown field, unknown kind), as opposed to
 * refusing us (401/403), a missing namespace, a conflict or being unavailable. Server-side apply
 * answers a manifest that does not fit the schema with a 500 "failed to create typed patch object".
 */
export function isRejection(err: unknown): err is KubeApiError {
  if (!(err instanceof KubeApiError)) return false;
  if (err.status === 404) return /does not serve kind/.test(err.serverMessage);
  if (err.status === 500)
    return /failed to create typed patch object|field not declared in schema/.test(err.serverMessage);
  return err.status >= 400 && err.status < 500 && ![401, 403, 409, 429].includes(err.status);
}

export function rejection(
  ref: ObjectRef,
  manifest: KubeObject,
  err: KubeApiError,
  validatedIn?: string,
): string {
  const where = validatedIn
    ? ` (validated in namespace ${validatedIn}: ${ref.namespace} does not exist yet)`
    : '';
  return `the API server rejected ${describeRef(ref)}${where}: ${err.serverMessage}\n--- ${describeRef(ref)}\n${toYaml(manifest).trimEnd()}`;
}

/**
 * Dry-runs every object of the plan on the server. Objects whose namespace does not exist yet
 * (a first deploy) are validated in `default`, where the namespace lifecycle admission lets them
 * in: schema, field validation and defaulting are the same. Collects every rejection, then refuses.
 */
export async function dryRunPlan(
  api: KubeApi,
  plan: DeployPlan,
  opts: { onObject?: (done: number, total: number) => void } = {},
): Promise<PlannedChange[]> {
  const objects = allObjects(plan);
  const namespaces = new Map<string, boolean>();
  for (const ns of new Set(objects.map((o) => o.ref.namespace).filter(Boolean) as string[])) {
    namespaces.set(ns, (await api.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })) !== null);
  }
  const changes: PlannedChange[] = [];
  const rejected: string[] = [];
  for (const [i, p] of objects.entries()) {
    const namespaced = p.ref.namespace !== undefined && (await api.namespaced(p.ref).catch(() => true));
    const validatedIn = namespaced && !namespaces.get(p.ref.namespace!) ? 'default' : undefined;
    try {
      const live = validatedIn ? null : await api.get(p.ref);
      const result = await api.apply(p.manifest, {
        fieldManager: FIELD_MANAGER,
        force: true,
        dryRun: true,
        namespace: validatedIn,
      });
      if (!live) changes.push({ ref: p.ref, change: 'create', fields: [], validatedIn });
      else {
        const fields = diffPaths(comparable(live), comparable(result));
        changes.push({ ref: p.ref, change: fields.length ? 'update' : 'unchanged', fields });
      }
    } catch (err) {
      if (isRejection(err)) {
        rejected.push(rejection(p.ref, p.manifest, err, validatedIn));
      } else if (err instanceof KubeApiError && err.status === 403) {
        throw new UserError(
          `not allowed to apply ${describeRef(p.ref)}: ${err.serverMessage}`,
          'deploy with credentials that may create it (nothing was applied)',
        );
      } else throw err;
    }
    opts.onObject?.(i + 1, objects.length);
  }
  if (rejected.length) {
    throw new UserError(
      `${rejected.length} of ${objects.length} manifests rejected by the API server; nothing was applied:\n${rejected.join('\n')}`,
    );
  }
  return changes;
}

/** Applies one object and says whether anything changed. Idempotent. */
export async function applyObject(
  api: KubeApi,
  p: Pick<PlannedObject, 'ref' | 'manifest'>,
): Promise<ApplyOutcome> {
  const before = await api.get<KubeObject>(p.ref);
  let after: KubeObject;
  try {
    after = await api.apply<KubeObject>(p.manifest, { fieldManager: FIELD_MANAGER, force: true });
  } catch (err) {
    if (isRejection(err)) throw new UserError(rejection(p.ref, p.manifest, err));
    if (err instanceof KubeApiError && err.status === 403)
      throw new UserError(`not allowed to apply ${describeRef(p.ref)}: ${err.serverMessage}`);
    throw err;
  }
  if (!before) return 'created';
  const rv = (o: KubeObject) => (o.metadata as { resourceVersion?: string }).resourceVersion;
  if (rv(before) === rv(after)) return 'unchanged';
  // Another writer (a controller's status update) may have moved the version in between.
  return diffPaths(comparable(before), comparable(after)).length ? 'configured' : 'unchanged';
}
