// A minimal HTTPS/HTTP client for the test control plane harness's own calls (readiness, bootstrap).
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
