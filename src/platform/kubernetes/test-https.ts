// A minimal HTTPS/HTTP client for the test control plane harness's own calls (readiness, bootstrap,
// the objects a real node writes for itself).
import { request } from 'node:https';
import { get as httpGet } from 'node:http';
import { HOST } from '../local/ports.ts';

export interface Tls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function call(
  port: number,
  tls: Tls | undefined,
  method: string,
  path: string,
  body?: unknown,
  host: string = HOST,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host,
        port,
        method,
        path,
        // The control plane's own serving certificates (kube-controller-manager, kube-scheduler)
        // are self-signed: only the API server's is checked against the cluster CA.
        ...(tls
          ? { ca: tls.ca, cert: tls.cert, key: tls.key, servername: 'localhost' }
          : { rejectUnauthorized: false }),
        headers: payload
          ? {
              // A PATCH body is a JSON merge patch; everything else sends whole objects.
              'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
              'content-length': Buffer.byteLength(payload),
            }
          : {},
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** One API call of the harness: method, path, JSON body. */
export type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; text: string }>;

/** Creates the object unless one of that name exists (a bound volume of an earlier node, say). */
export async function createIfAbsent(api: Api, collection: string, body: unknown): Promise<void> {
  const r = await api('POST', collection, body);
  if (r.status >= 300 && r.status !== 409)
    throw new Error(`creating in ${collection}: HTTP ${r.status} ${r.text}`);
}

/**
 * Creates the object, or replaces the one of that name (a crashed run's, say). Looked up first: a
 * Service with a fixed ClusterIP that exists is refused as "IP already allocated", not 409.
 */
export async function putObject(api: Api, collection: string, name: string, body: unknown): Promise<void> {
  const current = await api('GET', `${collection}/${name}`);
  let r;
  if (current.status === 404) r = await api('POST', collection, body);
  else if (current.status === 200) {
    const rv = (JSON.parse(current.text) as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion;
    const b = body as { metadata: Record<string, unknown> };
    r = await api('PUT', `${collection}/${name}`, { ...b, metadata: { ...b.metadata, resourceVersion: rv } });
  } else r = current;
  if (r.status >= 300) throw new Error(`writing ${collection}/${name}: HTTP ${r.status} ${r.text}`);
}

export function httpOk(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: HOST, port, path, timeout: 5_000 }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(text) : reject(new Error(`${path}: HTTP ${res.statusCode} ${text}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
  });
}
