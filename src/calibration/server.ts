// The calibration target: a key-value service whose truth is known by construction. On a fault
// command it becomes unavailable for exactly D ms (503 to every data request received in
// [faultAt, faultAt + D)) and silently drops acknowledged writes with ledger ids i..j. A drill
// against it must measure RTO ≈ D and exactly j − i + 1 lost writes — that is the calibration.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface FaultCommand {
  durationMs: number;
  /** Inclusive range of ledger ids to drop (the number after the last "/" of the key). */
  drop?: [number, number];
  /** Or: drop the N most recently acknowledged writes (a suffix). */
  dropLast?: number;
}

export interface FaultReceipt {
  faultAt: number;
  until: number;
  droppedIds: number[];
}

const idOf = (key: string) => Number(key.slice(key.lastIndexOf('/') + 1));

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function createCalibrationServer(): Server {
  const store = new Map<string, Buffer>();
  const ackOrder: string[] = [];
  let unavailableUntil = 0;
  let faultAt = 0;

  return createServer(async (req, res) => {
    const now = Date.now();
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, payload?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    try {
      if (url.pathname === '/health') return send(200, { ok: true });
      if (url.pathname === '/fault' && req.method === 'POST') {
        const cmd = JSON.parse((await body(req)).toString()) as FaultCommand;
        faultAt = Date.now();
        unavailableUntil = faultAt + cmd.durationMs;
        let victims: string[] = [];
        if (cmd.drop) victims = ackOrder.filter((k) => idOf(k) >= cmd.drop![0] && idOf(k) <= cmd.drop![1]);
        // Only ledger writes (keys ending in a numeric id) are dropped, never the canary's key.
        if (cmd.dropLast) victims = ackOrder.filter((k) => Number.isFinite(idOf(k))).slice(-cmd.dropLast);
        for (const k of victims) store.delete(k);
        const receipt: FaultReceipt = {
          faultAt,
          until: unavailableUntil,
          droppedIds: victims.map(idOf).sort((a, b) => a - b),
        };
        return send(200, receipt);
      }
      if (url.pathname === '/reset' && req.method === 'POST') {
        unavailableUntil = 0;
        return send(200, { ok: true });
      }
      if (url.pathname.startsWith('/kv')) {
        if (now >= faultAt && now < unavailableUntil)
          return send(503, { error: 'unavailable (calibration fault)' });
        const key = decodeURIComponent(url.pathname.slice('/kv/'.length));
        if (req.method === 'PUT') {
          store.set(key, await body(req));
          ackOrder.push(key);
          return send(200, { position: String(ackOrder.length) });
        }
        if (req.method === 'GET' && key) {
          const value = store.get(key);
          if (!value) return send(404);
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          return res.end(value);
        }
        if (req.method === 'GET') {
          const prefix = url.searchParams.get('prefix') ?? '';
          const out = [...store.entries()]
            .filter(([k]) => k.startsWith(prefix))
            .map(([key, v]) => ({ key, sha256: createHash('sha256').update(v).digest('hex') }));
          return send(200, out);
        }
      }
      send(404, { error: 'not found' });
    } catch (err) {
      send(500, { error: (err as Error).message });
    }
  });
}
