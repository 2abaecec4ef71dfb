// The calibration target: a key-value service whose truth is known by construction. On a fault
// command it becomes unavailable for exactly D ms — no data request received in [faultAt,
// faultAt + D) is served before faultAt + D — and silently drops acknowledged writes with ledger
// ids i..j. A drill against it must measure RTO ≈ D and exactly j − i + 1 lost writes: that is the
// calibration. How the outage looks to a client is the fault's mode (measurement spec, "Canaries",
// failure modes): every one of them must give the same RTO.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * - refuse: an instant 503 (the service says no).
 * - hang: the connection is accepted and the request never answered (a dead backend behind a
 *   proxy, dropped packets): the client's own timeout ends it.
 * - hold: the request is held and answered normally once the outage ends (a proxy queueing
 *   requests until a backend returns).
 * - slow: answered normally, but only `slowMs` after it arrived (an overloaded service).
 */
export const FAULT_MODES = ['refuse', 'hang', 'hold', 'slow'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface FaultCommand {
  durationMs: number;
  /**
   * When the outage begins (epoch ms, this machine's clock): the drill's T0. The window is then
   * [T0, T0 + D) by construction even if the command itself is delayed in transit or by a stalled
   * process; without it the outage begins when the command is read.
   */
  startAt?: number;
  mode?: FaultMode;
  /** slow: how long after it arrived a request is answered. */
  slowMs?: number;
  /** Inclusive range of ledger ids to drop (the number after the last "/" of the key). */
  drop?: [number, number];
  /** Or: drop the N most recently acknowledged writes (a suffix). */
  dropLast?: number;
}

export interface FaultReceipt {
  faultAt: number;
  until: number;
  mode: FaultMode;
  droppedIds: number[];
  /** When the command was read: faultAt when it came on time. */
  receivedAt: number;
  /**
   * Data requests answered normally between faultAt and receivedAt: the window was not kept for
   * them (a command read late), so a drill must not score this fault.
   */
  servedInWindow: number;
}

const idOf = (key: string) => Number(key.slice(key.lastIndexOf('/') + 1));

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export function createCalibrationServer(): Server {
  const store = new Map<string, Buffer>();
  const ackOrder: string[] = [];
  let unavailableUntil = 0;
  let faultAt = 0;
  let fault: FaultReceipt | undefined;
  let mode: FaultMode = 'refuse';
  let slowMs = 0;
  // Requests the `hang` mode will never answer (destroyed on /reset, or by the client's timeout).
  const hung = new Set<ServerResponse>();
  // When recent data requests were answered normally (to count any a late command let through).
  const served: number[] = [];
  const noteServed = (at: number) => {
    served.push(at);
    if (served.length > 1_000) served.splice(0, served.length - 1_000);
  };

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
        if (cmd.mode !== undefined && !FAULT_MODES.includes(cmd.mode))
          return send(400, { error: `mode "${cmd.mode}" is not one of ${FAULT_MODES.join(', ')}` });
        mode = cmd.mode ?? 'refuse';
        slowMs = cmd.slowMs ?? 0;
        const receivedAt = Date.now();
        faultAt = Math.min(cmd.startAt ?? receivedAt, receivedAt);
        unavailableUntil = faultAt + cmd.durationMs;
        let victims: string[] = [];
        if (cmd.drop) victims = ackOrder.filter((k) => idOf(k) >= cmd.drop![0] && idOf(k) <= cmd.drop![1]);
        // Only ledger writes (keys ending in a numeric id) are dropped, never the canary's key.
        if (cmd.dropLast) victims = ackOrder.filter((k) => Number.isFinite(idOf(k))).slice(-cmd.dropLast);
        for (const k of victims) store.delete(k);
        const receipt: FaultReceipt = {
          faultAt,
          until: unavailableUntil,
          mode,
          droppedIds: victims.map(idOf).sort((a, b) => a - b),
          receivedAt,
          servedInWindow: served.filter((t) => t >= faultAt).length,
        };
        fault = receipt;
        return send(200, receipt);
      }
      // The target's own record of the last fault it took (how a drill confirms it took effect).
      if (url.pathname === '/fault' && req.method === 'GET') return send(fault ? 200 : 404, fault ?? {});
      if (url.pathname === '/reset' && req.method === 'POST') {
        unavailableUntil = 0;
        for (const r of hung) r.destroy();
        hung.clear();
        return send(200, { ok: true });
      }
      if (url.pathname.startsWith('/kv')) {
        if (now >= faultAt && now < unavailableUntil) {
          if (mode === 'refuse') return send(503, { error: 'unavailable (calibration fault)' });
          if (mode === 'hang') {
            hung.add(res);
            res.once('close', () => hung.delete(res));
            return; // accepted, never answered
          }
          // hold: served once the outage ends; slow: served slowMs after it arrived.
          await wait(mode === 'hold' ? unavailableUntil - Date.now() : now + slowMs - Date.now());
        } else noteServed(now);
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
