// A thin REST layer over one kubeconfig context: the credentials, TLS and impersonation come from
// @kubernetes/client-node's KubeConfig; the requests are sent as they are, because server-side
// apply must carry the manifest byte for byte (the generated typed clients re-serialize objects
// through their models and drop fields they do not know, which would hide a bad manifest from
// the server's strict field validation).
import http from 'node:http';
import https from 'node:https';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, refOf, type KubeObject, type ObjectRef } from './objects.ts';

export { describeRef, KubeApiError, refOf } from './objects.ts';
export type { KubeObject, ObjectRef } from './objects.ts';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

export class KubeApi {
  private discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(readonly kc: KubeConfig) {}

  get server(): string {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error(`context ${this.kc.getCurrentContext()} has no cluster`);
    return cluster.server.replace(/\/+$/, '');
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const body =
      opts.body === undefined
        ? undefined
        : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    const options: https.RequestOptions = {
      method,
      headers: {
        Accept: 'application/json',
        ...(body
          ? { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': String(body.length) }
          : {}),
      },
    };
    await this.kc.applyToHTTPSOptions(options);
    const transport = url.protocol === 'http:' ? http : https;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolveRequest, reject) => {
      const req = transport.request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolveRequest({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.setTimeout(opts.timeoutMs ?? 30_000, () =>
        req.destroy(
          new Error(`${method} ${path}: no answer from ${this.server} within ${opts.timeoutMs ?? 30_000} ms`),
        ),
      );
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    if (status < 200 || status >= 300) {
      const s = (parsed ?? {}) as { message?: string; reason?: string };
      throw new KubeApiError(
        status,
        s.reason ?? 'Error',
        s.message ?? String(text).slice(0, 500),
        parsed,
        `${method} ${path}`,
      );
    }
    return parsed as T;
  }

  /** kind → plural and scope, from the server's discovery document of the group version. */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let pending = this.discovery.get(apiVersion);
    if (!pending) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      pending = this.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(
        'GET',
        path,
      ).then(
        (list) =>
          new Map(
            list.resources
              .filter((r) => !r.name.includes('/'))
              .map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]),
          ),
      );
      pending.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, pending);
    }
    let found: ResourceInfo | undefined;
    try {
      found = (await pending).get(kind);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) found = undefined;
      else throw err;
    }
    if (!found)
      throw new KubeApiError(
        404,
        'NotFound',
        `the server does not serve kind ${kind} in ${apiVersion}`,
        undefined,
        `discovery of ${apiVersion}`,
      );
    return found;
  }

  /** The collection path (no name) or the object path of a reference. */
  async path(ref: ObjectRef, withName = true): Promise<string> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const ns = info.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace ?? 'default')}` : '';
    return `${base}${ns}/${info.plural}${withName ? `/${encodeURIComponent(ref.name)}` : ''}`;
  }

  async namespaced(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>): Promise<boolean> {
    return (await this.resource(ref.apiVersion, ref.kind)).namespaced;
  }

  /** The live object, or null when it does not exist. */
  async get<T = KubeObject>(ref: ObjectRef): Promise<T | null> {
    try {
      return await this.request<T>('GET', await this.path(ref));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return null;
      throw err;
    }
  }

  async list<T = KubeObject>(
    ref: Omit<ObjectRef, 'name'>,
    query: RequestOptions['query'] = {},
  ): Promise<{ items: T[]; metadata: { resourceVersion: string } }> {
    return this.request('GET', await this.path({ ...ref, name: '' }, false), { query });
  }

  /** Server-side apply (application/apply-patch+yaml: JSON is YAML), strict field validation. */
  async apply<T = KubeObject>(
    obj: KubeObject,
    opts: { fieldManager: string; force?: boolean; dryRun?: boolean; namespace?: string },
  ): Promise<T> {
    const target =
      opts.namespace && obj.metadata.namespace !== undefined
        ? { ...obj, metadata: { ...obj.metadata, namespace: opts.namespace } }
        : obj;
    return this.request<T>('PATCH', await this.path(refOf(target)), {
      body: target,
      contentType: 'application/apply-patch+yaml',
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force ?? true,
        dryRun: opts.dryRun ? 'All' : undefined,
        fieldValidation: 'Strict',
      },
    });
  }

  async delete(
    ref: ObjectRef,
    opts: { gracePeriodSeconds?: number; dryRun?: boolean; preconditionUid?: string } = {},
  ): Promise<void> {
    await this.request('DELETE', await this.path(ref), {
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
        ...(opts.dryRun ? { dryRun: ['All'] } : {}),
        ...(opts.preconditionUid ? { preconditions: { uid: opts.preconditionUid } } : {}),
      },
    });
  }

  /**
   * Watches one object (by name) until `done(obj)` returns a value, starting from a fresh read.
   * Reconnects when the server ends the watch; re-reads on 410 Gone. Never polls on a timer.
   */
  async watchObject<T, R>(
    ref: ObjectRef,
    done: (obj: T | null) => R | undefined,
    opts: { signal?: AbortSignal; timeoutMs: number; onTimeout: () => Promise<Error> | Error },
  ): Promise<R> {
    const collection = await this.path(ref, false);
    const watch = new Watch(this.kc);
    const deadline = Date.now() + opts.timeoutMs;
    for (let round = 0; ; round++) {
      const started = Date.now();
      const current = await this.get<T>(ref);
      const first = done(current);
      if (first !== undefined) return first;
      const rv = (current as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
      // A list resourceVersion would do too; the object's is enough to not miss a change.
      const outcome = await new Promise<{ value?: R; restart?: boolean; error?: Error }>((settle) => {
        let controller: AbortController | undefined;
        let settled = false;
        const finish = (o: { value?: R; restart?: boolean; error?: Error }) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          controller?.abort();
          settle(o);
        };
        const onAbort = () => finish({ error: new Error('cancelled') });
        const timer = setTimeout(() => finish({ restart: false }), Math.max(0, deadline - Date.now()));
        opts.signal?.addEventListener('abort', onAbort);
        watch
          .watch(
            collection,
            {
              fieldSelector: `metadata.name=${ref.name}`,
              resourceVersion: rv,
              allowWatchBookmarks: true,
              timeoutSeconds: 60,
            },
            (phase, obj) => {
              if (phase === 'BOOKMARK') return;
              if (phase === 'ERROR') return finish({ restart: true }); // e.g. 410 Gone: read again
              const value = done(phase === 'DELETED' ? null : (obj as T));
              if (value !== undefined) finish({ value });
            },
            (err: { statusCode?: number; message?: string } | null) => {
              const status = err?.statusCode;
              if (status === 401 || status === 403) {
                finish({
                  error: new KubeApiError(
                    status,
                    status === 403 ? 'Forbidden' : 'Unauthorized',
                    err?.message ?? '',
                    undefined,
                    `watch ${collection}`,
                  ),
                });
              } else finish({ restart: true }); // the server ended the watch (timeout) or the connection broke
            },
          )
          .then((c) => {
            controller = c;
            if (settled) c.abort();
          })
          .catch(() => finish({ restart: true }));
      });
      if (outcome.error) throw outcome.error;
      if (outcome.value !== undefined) return outcome.value;
      if (Date.now() >= deadline) throw await opts.onTimeout();
      if (opts.signal?.aborted) throw new Error('cancelled');
      // A watch that ends at once (a broken connection) is not retried in a tight loop.
      if (Date.now() - started < 1_000)
        await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * (round + 1))));
    }
  }
}
