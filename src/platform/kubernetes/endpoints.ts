// Where the drills' clients reach the services of a cluster: a configured map, because the runner
// may sit outside the cluster (LoadBalancer, port-forward) or inside it (Service DNS names).
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../../util/errors.ts';

export const ENDPOINTS_ENV = 'FIREDRILL_K8S_ENDPOINTS';
export type EndpointMap = Record<string, Record<string, string>>;

/** `FIREDRILL_K8S_ENDPOINTS`: JSON, or the path of a JSON file: { "kafka": { "bootstrap": "…" } }. */
export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): EndpointMap | undefined {
  const v = env[ENDPOINTS_ENV]?.trim();
  if (!v) return undefined;
  return readEndpoints(v.startsWith('{') ? v : readFileOr(v), v.startsWith('{') ? ENDPOINTS_ENV : v);
}

function readFileOr(path: string): string {
  if (!existsSync(path))
    throw new UserError(
      `${ENDPOINTS_ENV} names ${path}, which does not exist`,
      'give JSON or the path of a JSON file',
    );
  return readFileSync(path, 'utf8');
}

export function readEndpoints(text: string, where: string): EndpointMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(
      `endpoints in ${where} are not JSON: ${(err as Error).message}`,
      'write e.g. {"kafka": {"bootstrap": "10.0.0.5:9093"}}',
    );
  }
  const ok =
    parsed &&
    typeof parsed === 'object' &&
    Object.values(parsed).every(
      (v) => v && typeof v === 'object' && Object.values(v).every((s) => typeof s === 'string'),
    );
  if (!ok)
    throw new UserError(
      `endpoints in ${where} must map each component to {name: "address"}`,
      'write e.g. {"kafka": {"bootstrap": "10.0.0.5:9093"}}',
    );
  return parsed as EndpointMap;
}
