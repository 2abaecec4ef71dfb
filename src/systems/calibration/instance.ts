// One instance of the calibration target: its own store, fault state and counters. A calibration
// process serves many (server.ts routes `/i/<instance>/…` here), so that drills on different
// instances run side by side, each against a target whose truth it alone decides.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An instance's name: it becomes part of a URL path and of a drill's target (`calibration/<name>`). */
export const INSTANCE_NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;
/** The instance the unprefixed paths (`/fault`, `/kv/…`) reach: what a single-target client sees. */
export const MAIN_INSTANCE = 'main';

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
  /**
   * Who sent it (a drill sends its run id), echoed in the receipt: a step resumed on another
   * worker after a crash no longer has the receipt, but can still tell the last fault is its own.
   */
  tag?: string;
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
  /** The command's tag (null: untagged). */
  tag: string | null;
}

/**
 * What an instance took, by its own count: how a bench tells double injections and effective
 * reverts from the target's truth rather than from firedrill's records. An instance is `faulted`
 * from a fault command it accepted until the next reset, whether or not its outage window has
 * run out (a reset is the fault's revert; dropped writes stay dropped).
 */
export interface InstanceCounts {
  instance: string;
  /** POST /fault requests received, refused ones included: each is a command a drill issued. */
  faultCommands: number;
  /** Resets that ended a fault in place (the revert that counts). */
  effectiveResets: number;
  /** Resets that found nothing to undo (a repeated or needless revert: harmless). */
  idleResets: number;
  faulted: boolean;
}

const MAX_TAG = 200;

export type Send = (status: number, payload?: unknown) => void;

const idOf = (key: string) => Number(key.slice(key.lastIndexOf('/') + 1));

export async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export class CalibrationInstance {
  private readonly store = new Map<string, Buffer>();
  private readonly ackOrder: string[] = [];
  private unavailableUntil = 0;
  private faultAt = 0;
  private last: FaultReceipt | undefined;
  private mode: FaultMode = 'refuse';
  private slowMs = 0;
  private faulted = false;
  private faultCommands = 0;
  private effectiveResets = 0;
  private idleResets = 0;
  // Requests the `hang` mode will never answer (destroyed on reset, or by the client's timeout).
  private readonly hung = new Set<ServerResponse>();
  // When recent data requests were answered normally (to count any a late command let through).
  private readonly served: number[] = [];

  constructor(readonly name: string) {}

  counts(): InstanceCounts {
    return {
      instance: this.name,
      faultCommands: this.faultCommands,
      effectiveResets: this.effectiveResets,
      idleResets: this.idleResets,
      faulted: this.faulted,
    };
  }

  /** The receipt of an accepted command, or the reason it was refused (HTTP 400). */
  fault(cmd: FaultCommand): FaultReceipt | { error: string } {
    this.faultCommands++;
    if (cmd.mode !== undefined && !FAULT_MODES.includes(cmd.mode))
      return { error: `mode "${cmd.mode}" is not one of ${FAULT_MODES.join(', ')}` };
    if (cmd.tag !== undefined && (typeof cmd.tag !== 'string' || cmd.tag.length > MAX_TAG))
      return { error: `tag must be a string of at most ${MAX_TAG} characters` };
    if (!Number.isFinite(cmd.durationMs) || cmd.durationMs < 0)
      return { error: `durationMs ${JSON.stringify(cmd.durationMs)} must be a number of ms, 0 or more` };
    this.mode = cmd.mode ?? 'refuse';
    this.slowMs = cmd.slowMs ?? 0;
    const receivedAt = Date.now();
    this.faultAt = Math.min(cmd.startAt ?? receivedAt, receivedAt);
    this.unavailableUntil = this.faultAt + cmd.durationMs;
    let victims: string[] = [];
    const drop = cmd.drop;
    if (drop) victims = this.ackOrder.filter((k) => idOf(k) >= drop[0] && idOf(k) <= drop[1]);
    // Only ledger writes (keys ending in a numeric id) are dropped, never the canary's key.
    if (cmd.dropLast) victims = this.ackOrder.filter((k) => Number.isFinite(idOf(k))).slice(-cmd.dropLast);
    for (const k of victims) this.store.delete(k);
    this.faulted = true;
    this.last = {
      faultAt: this.faultAt,
      until: this.unavailableUntil,
      mode: this.mode,
      droppedIds: victims.map(idOf).sort((a, b) => a - b),
      receivedAt,
      servedInWindow: this.served.filter((t) => t >= this.faultAt).length,
      tag: cmd.tag ?? null,
    };
    return this.last;
  }

  /** The last fault this instance took (how a drill confirms it took effect). */
  lastFault(): FaultReceipt | undefined {
    return this.last;
  }

  reset(): void {
    if (this.faulted) this.effectiveResets++;
    else this.idleResets++;
    this.faulted = false;
    this.unavailableUntil = 0;
    for (const r of this.hung) r.destroy();
    this.hung.clear();
  }

  /** A data request (`path` is `/kv…` of this instance), arrived at `now`. */
  async kv(req: IncomingMessage, res: ServerResponse, url: URL, path: string, now: number, send: Send) {
    if (now >= this.faultAt && now < this.unavailableUntil) {
      if (this.mode === 'refuse') return send(503, { error: 'unavailable (calibration fault)' });
      if (this.mode === 'hang') {
        this.hung.add(res);
        res.once('close', () => this.hung.delete(res));
        return; // accepted, never answered
      }
      // hold: served once the outage ends; slow: served slowMs after it arrived.
      await wait(this.mode === 'hold' ? this.unavailableUntil - Date.now() : now + this.slowMs - Date.now());
    } else this.noteServed(now);
    const key = decodeURIComponent(path.slice('/kv/'.length));
    if (req.method === 'PUT') {
      this.store.set(key, await body(req));
      this.ackOrder.push(key);
      return send(200, { position: String(this.ackOrder.length) });
    }
    if (req.method === 'GET' && key) {
      const value = this.store.get(key);
      if (!value) return send(404);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(value);
    }
    if (req.method === 'GET') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const out = [...this.store.entries()]
        .filter(([k]) => k.startsWith(prefix))
        .map(([key, v]) => ({ key, sha256: createHash('sha256').update(v).digest('hex') }));
      return send(200, out);
    }
    send(405, { error: `${req.method} is not a method of /kv` });
  }

  private noteServed(at: number): void {
    this.served.push(at);
    if (this.served.length > 1_000) this.served.splice(0, this.served.length - 1_000);
  }
}
