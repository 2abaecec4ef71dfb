// GET /metrics on 127.0.0.1 only (the worker holds no secrets in its metrics, but a drill runner's
// port has no business on the network; Prometheus scrapes it through the node or a sidecar).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import type { Registry } from 'prom-client';

export const DEFAULT_METRICS_PORT = 9464;
export const METRICS_HOST = '127.0.0.1';

/** FIREDRILL_METRICS_PORT: a port, or 0 for no metrics server; unset: `fallback` (null = none). */
export function metricsPortFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  fallback: number | null = DEFAULT_METRICS_PORT,
): number | undefined {
  const raw = env.FIREDRILL_METRICS_PORT;
  if (raw === undefined || raw === '') return fallback ?? undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`FIREDRILL_METRICS_PORT "${raw}" is not a port number (0 = off)`);
  return port;
}

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the registry. A port already in use (another worker on this machine) is logged and the
 * worker runs on without /metrics rather than failing its drills.
 */
export async function serveMetrics(
  registry: Registry,
  opts: { port: number; log?: pino.Logger },
): Promise<MetricsServer | undefined> {
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics\n');
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, METRICS_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    opts.log?.warn(
      { port: opts.port, error: (err as Error).message },
      'metrics server not started: /metrics is off for this worker',
    );
    return undefined;
  }
  server.unref();
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address}:${port}/metrics`;
  opts.log?.info({ url }, 'metrics served');
  return {
    url,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
