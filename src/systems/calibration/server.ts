// The calibration target: a key-value service whose truth is known by construction. On a fault
// command it becomes unavailable for exactly D ms — no data request received in [faultAt,
// faultAt + D) is served before faultAt + D — and silently drops acknowledged writes with ledger
// ids i..j. A drill against it must measure RTO ≈ D and exactly j − i + 1 lost writes: that is the
// calibration. How the outage looks to a client is the fault's mode (measurement spec, "Canaries",
// failure modes): every one of them must give the same RTO.
//
// One process serves many independent instances (instance.ts), each under `/i/<instance>/`:
// `health`, `fault` (POST a command, GET the last receipt), `reset`, `kv/…`, and the read-only
// `counts` (what the instance took). The unprefixed paths are the instance `main`, so a client of a
// single target never names one. `GET /instances` lists the counts of every instance.
import { createServer, type Server } from 'node:http';
import {
  CalibrationInstance,
  INSTANCE_NAME,
  MAIN_INSTANCE,
  body,
  type FaultCommand,
  type Send,
} from './instance.ts';

export {
  FAULT_MODES,
  INSTANCE_NAME,
  MAIN_INSTANCE,
  type FaultCommand,
  type FaultMode,
  type FaultReceipt,
  type InstanceCounts,
} from './instance.ts';

/** Instances one process keeps at most: a stray client naming new ones cannot grow it unbounded. */
export const MAX_INSTANCES = 1_000;

const PREFIXED = /^\/i\/([^/]*)(\/.*)?$/;

export function createCalibrationServer(): Server {
  const instances = new Map<string, CalibrationInstance>();
  /** The instance a name reaches (created on first use), or why it cannot be one. */
  const instanceOf = (name: string): CalibrationInstance | string => {
    let i = instances.get(name);
    if (i) return i;
    if (!INSTANCE_NAME.test(name))
      return `instance ${JSON.stringify(name)} is not an instance name: use 1 to 41 lower-case letters, digits or dashes, starting with a letter or digit`;
    if (instances.size >= MAX_INSTANCES) return `this target serves at most ${MAX_INSTANCES} instances`;
    instances.set(name, (i = new CalibrationInstance(name)));
    return i;
  };

  return createServer(async (req, res) => {
    const now = Date.now();
    const url = new URL(req.url ?? '/', 'http://x');
    const send: Send = (status, payload) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    try {
      if (url.pathname === '/instances' && req.method === 'GET')
        return send(
          200,
          [...instances.values()].map((i) => i.counts()),
        );
      const prefixed = PREFIXED.exec(url.pathname);
      const instance = instanceOf(prefixed ? prefixed[1]! : MAIN_INSTANCE);
      if (typeof instance === 'string') return send(400, { error: instance });
      const path = prefixed ? (prefixed[2] ?? '/') : url.pathname;

      if (path === '/health') return send(200, { ok: true });
      if (path === '/counts')
        return req.method === 'GET'
          ? send(200, instance.counts())
          : send(405, { error: '/counts is read-only: GET it' });
      if (path === '/fault' && req.method === 'POST') {
        const receipt = instance.fault(JSON.parse((await body(req)).toString()) as FaultCommand);
        return send('error' in receipt ? 400 : 200, receipt);
      }
      if (path === '/fault' && req.method === 'GET') {
        const last = instance.lastFault();
        return send(last ? 200 : 404, last ?? {});
      }
      if (path === '/reset' && req.method === 'POST') {
        instance.reset();
        return send(200, { ok: true });
      }
      if (path.startsWith('/kv')) return await instance.kv(req, res, url, path, now, send);
      send(404, { error: 'not found' });
    } catch (err) {
      send(500, { error: (err as Error).message });
    }
  });
}
