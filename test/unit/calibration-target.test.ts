// The calibration target's own truth: the outage window begins at the drill's T0 even when the
// command is read late, and requests a late command let through are counted, not hidden.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCalibrationServer, type FaultReceipt } from '../../src/systems/calibration/server.ts';

const server = createCalibrationServer();
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const fault = async (cmd: object) =>
  (await (
    await fetch(`${base}/fault`, { method: 'POST', body: JSON.stringify(cmd) })
  ).json()) as FaultReceipt;
const reset = () => fetch(`${base}/reset`, { method: 'POST' });

describe('calibration target', () => {
  it('starts the window at startAt (T0), not when the command was read', async () => {
    const t0 = Date.now() - 200; // the command "arrives" 200 ms late
    const r = await fault({ durationMs: 1_000, startAt: t0 });
    expect(r.faultAt).toBe(t0);
    expect(r.until).toBe(t0 + 1_000);
    expect(r.receivedAt - r.faultAt).toBeGreaterThanOrEqual(200);
    expect(r.servedInWindow).toBe(0);
    expect((await fetch(`${base}/kv/x`)).status).toBe(503);
    await reset();
  });

  it('counts requests answered inside the window before a late command was read', async () => {
    await reset();
    const t0 = Date.now();
    await fetch(`${base}/kv/a/1`, { method: 'PUT', body: 'v' });
    await fetch(`${base}/kv/a/1`);
    const r = await fault({ durationMs: 500, startAt: t0 });
    expect(r.servedInWindow).toBe(2);
    await reset();
  });

  it('never starts a window in the future (a startAt ahead of its own clock)', async () => {
    const r = await fault({ durationMs: 100, startAt: Date.now() + 60_000 });
    expect(r.faultAt).toBeLessThanOrEqual(r.receivedAt);
    await reset();
  });
});
