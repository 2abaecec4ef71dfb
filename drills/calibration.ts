// Calibration: proves firedrill's numbers against a service whose truth is known by construction.
// The target becomes unavailable for exactly `outage` at T0 and silently drops the acknowledged
// writes with ledger ids drop-from..drop-to (or the last `drop-last`). firedrill must report RTO
// within ±100 ms of the outage and exactly that many lost writes.
import type { ReadBackRecord } from '../src/measure/types.ts';
import { defineDrill, type DrillEnv } from '../src/drill/definition.ts';
import type { FaultReceipt } from '../src/calibration/server.ts';

const url = (env: DrillEnv) => env.platform.endpoints('calibration').url!;

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(`${what}: HTTP ${status}`);
  }
}

async function put(env: DrillEnv, key: string, payload: Buffer): Promise<string> {
  const res = await fetch(`${url(env)}/kv/${encodeURIComponent(key)}`, {
    method: 'PUT',
    body: payload,
    signal: AbortSignal.timeout(2_000),
  });
  if (!res.ok) throw new HttpStatusError(res.status, `PUT ${key}`);
  return ((await res.json()) as { position: string }).position;
}

export default defineDrill({
  name: 'calibration',
  title: 'Calibration target: known outage, known loss',
  hypothesis:
    'firedrill measures an outage of exactly D ms as RTO D ± 100 ms and counts exactly the writes the target dropped.',
  target: {
    component: 'calibration',
    scenario: 'calibration',
    targets: { rto: '30s', rpo: '0', source: 'calibration target (firedrill self-test)' },
  },
  variants: {
    outage: { description: 'unavailable for D ms, drop nothing or a chosen range of acknowledged writes' },
  },
  defaultVariant: 'outage',
  options: {
    outage: {
      type: 'duration',
      default: '2s',
      max: '10m',
      holdsFault: true,
      description: 'how long the target refuses requests (D)',
    },
    'drop-from': {
      type: 'number',
      default: 0,
      min: 0,
      max: 1_000_000,
      integer: true,
      description: 'first ledger id to drop (0 = none)',
    },
    'drop-to': {
      type: 'number',
      default: 0,
      min: 0,
      max: 1_000_000,
      integer: true,
      description: 'last ledger id to drop',
    },
    'drop-last': {
      type: 'number',
      default: 0,
      min: 0,
      max: 1_000_000,
      integer: true,
      description: 'or: drop the N most recent acknowledged writes',
    },
    'writes-before': {
      type: 'number',
      default: 100,
      min: 0,
      max: 1_000_000,
      integer: true,
      description: 'acknowledged writes to wait for before the fault',
      check: (v, all) =>
        (v as number) <= (all['drop-to'] as number)
          ? `must exceed drop-to (${all['drop-to']}) so the dropped writes exist before T0`
          : undefined,
    },
  },
  ledger: { concurrency: 1, minAckedBeforeFault: 100 },
  needs: ['calibration'],

  async open() {
    return {};
  },
  async close() {},

  async canary(env) {
    const key = `canary/${env.runId}`;
    await put(env, key, Buffer.from(String(Date.now())));
    const res = await fetch(`${url(env)}/kv/${encodeURIComponent(key)}`, {
      signal: AbortSignal.timeout(1_000),
    });
    if (!res.ok) throw new HttpStatusError(res.status, 'GET canary');
    await res.arrayBuffer();
  },

  async write(env, _s, record) {
    return { position: await put(env, record.key, record.payload) };
  },

  isDefiniteFailure(err) {
    // A 503 is answered before anything is stored: definitely not written.
    return err instanceof HttpStatusError && err.status === 503;
  },

  async readBack(env, _s, prefix): Promise<ReadBackRecord[]> {
    const res = await fetch(`${url(env)}/kv?prefix=${encodeURIComponent(prefix)}`);
    return (await res.json()) as ReadBackRecord[];
  },

  async inject(env) {
    const o = env.options;
    const drop = (o['drop-from'] as number) > 0 ? [o['drop-from'], o['drop-to']] : undefined;
    const fault = { description: `outage ${o.outage} ms`, touched: ['calibration/calibration-0'] };
    let receipt: FaultReceipt | undefined;
    await env.fire(fault, async () => {
      const res = await fetch(`${url(env)}/fault`, {
        method: 'POST',
        body: JSON.stringify({
          durationMs: o.outage,
          drop,
          dropLast: (o['drop-last'] as number) || undefined,
        }),
      });
      receipt = (await res.json()) as FaultReceipt;
    });
    const dropped = receipt!.droppedIds;
    env.mark(
      'fault-at-target',
      `unavailable for ${receipt!.until - receipt!.faultAt} ms; dropped ids ${dropped.length ? `${dropped[0]}..${dropped.at(-1)} (${dropped.length})` : 'none'}`,
      receipt!.faultAt,
    );
    return { ...fault, receipt };
  },

  async fullyRecovered(env) {
    return (await fetch(`${url(env)}/health`)).ok;
  },

  async revert(env) {
    await fetch(`${url(env)}/reset`, { method: 'POST' });
  },

  async config(env) {
    return {
      outageMs: env.options.outage,
      dropFrom: env.options['drop-from'],
      dropTo: env.options['drop-to'],
      dropLast: env.options['drop-last'],
    };
  },
});
