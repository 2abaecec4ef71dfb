// The calibration target's HTTP protocol, as a drill (or a test) speaks it.
import type { ReadBackRecord } from '../../measure/types.ts';
import { MAIN_INSTANCE, type FaultCommand, type FaultReceipt, type InstanceCounts } from './server.ts';

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(`${what}: HTTP ${status}`);
  }
}

/** A client of one instance of a calibration process (`main`: the unprefixed paths). */
export class CalibrationClient {
  private readonly url: string;

  constructor(
    private readonly root: string,
    instance: string = MAIN_INSTANCE,
  ) {
    this.url = instance === MAIN_INSTANCE ? root : `${root}/i/${encodeURIComponent(instance)}`;
  }

  private kv(key: string) {
    return `${this.url}/kv/${encodeURIComponent(key)}`;
  }

  /** Stores a value; resolves with its position in the target's acknowledgement order. */
  async put(key: string, payload: Buffer, signal?: AbortSignal): Promise<string> {
    const res = await fetch(this.kv(key), {
      method: 'PUT',
      body: payload,
      signal: signal ?? AbortSignal.timeout(2_000),
    });
    if (!res.ok) throw new HttpStatusError(res.status, `PUT ${key}`);
    return ((await res.json()) as { position: string }).position;
  }

  async get(key: string, signal?: AbortSignal): Promise<Buffer> {
    const res = await fetch(this.kv(key), { signal });
    if (!res.ok) throw new HttpStatusError(res.status, `GET ${key}`);
    return Buffer.from(await res.arrayBuffer());
  }

  /** Every stored key under the prefix, with the SHA-256 of its value. */
  async list(prefix: string): Promise<ReadBackRecord[]> {
    const res = await fetch(`${this.url}/kv?prefix=${encodeURIComponent(prefix)}`);
    if (!res.ok) throw new HttpStatusError(res.status, 'GET /kv');
    return (await res.json()) as ReadBackRecord[];
  }

  async fault(cmd: FaultCommand): Promise<FaultReceipt> {
    const res = await fetch(`${this.url}/fault`, { method: 'POST', body: JSON.stringify(cmd) });
    if (!res.ok) throw new HttpStatusError(res.status, 'POST /fault');
    return (await res.json()) as FaultReceipt;
  }

  /** The target's own record of the last fault it took. */
  async lastFault(): Promise<FaultReceipt> {
    const res = await fetch(`${this.url}/fault`, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) throw new Error(`the target has no fault on record (HTTP ${res.status})`);
    return (await res.json()) as FaultReceipt;
  }

  async reset(): Promise<void> {
    // A refused reset (a bad instance name) is a revert that did not happen: never a silent success.
    const res = await fetch(`${this.url}/reset`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new HttpStatusError(res.status, 'POST /reset');
  }

  async healthy(): Promise<boolean> {
    return (await fetch(`${this.url}/health`)).ok;
  }

  /** What this instance took, by its own count. */
  async counts(): Promise<InstanceCounts> {
    const res = await fetch(`${this.url}/counts`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new HttpStatusError(res.status, 'GET /counts');
    return (await res.json()) as InstanceCounts;
  }

  /** The counts of every instance the process serves (those used so far). */
  async allCounts(): Promise<InstanceCounts[]> {
    const res = await fetch(`${this.root}/instances`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new HttpStatusError(res.status, 'GET /instances');
    return (await res.json()) as InstanceCounts[];
  }
}
