// Where the drills' clients reach the services of a cluster: a configured map, because the runner
// may sit outside the cluster (LoadBalancer, port-forward) or inside it (Service DNS names).
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../../util/errors.ts';
import { own } from '../../util/own.ts';

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
  return checkEndpoints(parsed, where);
}

/**
 * What each component's drill clients read from its entry: an entry without them would pass here
 * and die later, mid-drill, with a TypeError. Components not listed need no particular key.
 */
export const REQUIRED_ENDPOINTS: Readonly<Record<string, readonly string[]>> = {
  kafka: ['bootstrap'],
  timescaledb: ['patroni'],
  minio: ['s3'],
  milvus: ['address'],
  calibration: ['url'],
};
const EXAMPLE = 'write e.g. {"kafka": {"bootstrap": "10.0.0.5:9093"}}';

/** A parsed endpoints document checked field by field; every refusal names the field. */
export function checkEndpoints(parsed: unknown, where: string): EndpointMap {
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(parsed))
    throw new UserError(`endpoints in ${where} must be a JSON object of components`, EXAMPLE);
  const out: [string, Record<string, string>][] = [];
  for (const [component, entry] of Object.entries(parsed)) {
    if (!isMap(entry))
      throw new UserError(
        `endpoints in ${where}: "${component}" must map names to addresses, not ${JSON.stringify(entry)}`,
        EXAMPLE,
      );
    for (const [name, address] of Object.entries(entry))
      if (typeof address !== 'string' || !address.trim())
        throw new UserError(
          `endpoints in ${where}: "${component}.${name}" must be a non-empty address string`,
          EXAMPLE,
        );
    const missing = (own(REQUIRED_ENDPOINTS, component) ?? []).filter((k) => !Object.hasOwn(entry, k));
    if (missing.length)
      throw new UserError(
        `endpoints in ${where}: "${component}" has no ${missing.map((k) => `"${k}"`).join(', ')}`,
        `its drills connect through ${missing.map((k) => `${component}.${k}`).join(', ')}, e.g. {"${component}": {"${missing[0]}": "…"}}`,
      );
    out.push([component, entry as Record<string, string>]);
  }
  // fromEntries defines own keys: a "__proto__" entry stays data, never the map's prototype.
  return Object.fromEntries(out);
}
