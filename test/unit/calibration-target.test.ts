// The calibration target's own truth: the outage window begins at the drill's T0 even when the
// command is read late, and requests a late command let through are counted, not hidden. One
// process serves many instances, each with its own fault and its own count of what it took.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import calibration from '../../drills/calibration.ts';
import type { DrillEnv } from '../../src/drill/definition.ts';
import { drillOptions } from '../../src/drill/options.ts';
import { planRun } from '../../src/drill/validate.ts';
import type { Platform } from '../../src/platform/platform.ts';
import {
  createCalibrationServer,
  type FaultReceipt,
  type InstanceCounts,
} from '../../src/systems/calibration/server.ts';
import { loadTopology } from '../../src/topology/load.ts';

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
const plan = (options: Record<string, unknown>) =>
  planRun(calibration, { drill: 'calibration', options }, loadTopology());

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

// Many instances in one process: each its own fault, store and counts, so that drills on
// different instances run side by side and a bench counts what each one took.
describe('calibration instances', () => {
  const at = (instance: string) => `${base}/i/${instance}`;
  const counts = async (instance: string) =>
    (await (await fetch(`${at(instance)}/counts`)).json()) as InstanceCounts;
  const faultOn = (instance: string, cmd: object) =>
    fetch(`${at(instance)}/fault`, { method: 'POST', body: JSON.stringify(cmd) });
  const resetOn = (instance: string) => fetch(`${at(instance)}/reset`, { method: 'POST' });

  it('a fault on one instance leaves the others serving, and their data apart', async () => {
    await fetch(`${at('iso-a')}/kv/k/1`, { method: 'PUT', body: 'a' });
    await fetch(`${at('iso-b')}/kv/k/1`, { method: 'PUT', body: 'b' });
    expect((await faultOn('iso-a', { durationMs: 10_000, dropLast: 1 })).status).toBe(200);
    expect((await fetch(`${at('iso-a')}/kv/k/1`)).status).toBe(503);
    expect(await (await fetch(`${at('iso-b')}/kv/k/1`)).text()).toBe('b');
    expect((await fetch(`${base}/kv/k/1`)).status).not.toBe(503); // main: the unprefixed paths
    expect((await fetch(`${at('iso-b')}/fault`)).status).toBe(404); // b took no fault
    await resetOn('iso-a');
    expect((await fetch(`${at('iso-a')}/kv/k/1`)).status).toBe(404); // its write was dropped
    expect(await (await fetch(`${at('iso-b')}/kv/k/1`)).text()).toBe('b');
  });

  it('the unprefixed paths are the instance main', async () => {
    await fetch(`${base}/kv/m/1`, { method: 'PUT', body: 'm' });
    expect(await (await fetch(`${at('main')}/kv/m/1`)).text()).toBe('m');
    const before = await counts('main');
    await fault({ durationMs: 50 });
    expect((await counts('main')).faultCommands).toBe(before.faultCommands + 1);
    await reset();
  });

  it('counts fault commands, resets that ended a fault, and resets that found none', async () => {
    expect(await counts('cnt')).toEqual({
      instance: 'cnt',
      faultCommands: 0,
      effectiveResets: 0,
      idleResets: 0,
      faulted: false,
    });
    await faultOn('cnt', { durationMs: 20 });
    await new Promise((r) => setTimeout(r, 40)); // the outage ran out: still a fault until reset
    expect(await counts('cnt')).toMatchObject({ faultCommands: 1, faulted: true });
    await resetOn('cnt');
    await resetOn('cnt'); // a repeated revert: nothing left to undo
    expect(await counts('cnt')).toMatchObject({ effectiveResets: 1, idleResets: 1, faulted: false });
    await faultOn('cnt', { durationMs: 20 });
    await faultOn('cnt', { durationMs: 20, mode: 'nonsense' }); // refused, but a command issued
    expect(await counts('cnt')).toMatchObject({ faultCommands: 3, faulted: true });
    const listed = (await (await fetch(`${base}/instances`)).json()) as { instance: string }[];
    expect(listed.find((c) => c.instance === 'cnt')).toMatchObject({ faultCommands: 3 });
    await resetOn('cnt');
    expect(await counts('cnt')).toMatchObject({ effectiveResets: 2, idleResets: 1, faulted: false });
  });

  it('counts are read-only, and a bad instance name is refused', async () => {
    expect((await fetch(`${at('ro')}/counts`, { method: 'POST' })).status).toBe(405);
    for (const bad of ['Upper', '-dash', 'a_b', 'x'.repeat(42), ''])
      expect((await fetch(`${at(bad)}/health`)).status, bad).toBe(400);
  });
});

describe('the calibration drill names its instance', () => {
  it('plans calibration/<instance> as its target, main by default', () => {
    expect(plan({}).target).toBe('calibration/main');
    expect(plan({ instance: 'c17' }).target).toBe('calibration/c17');
  });

  it.each(['C1', '../x', 'a/b', '-x', 'x'.repeat(42), 'c 1'])('refuses the instance %j', (instance) =>
    expect(() => plan({ instance })).toThrow(/option "instance" of calibration: .* is not an instance name/),
  );
});

describe('the calibration drill confirms its own fault', () => {
  // Only what confirm() reads: the run, its options, and where the target is.
  const envFor = (runId: string, instance: string) =>
    ({
      runId,
      variant: 'outage',
      options: drillOptions('calibration', calibration.options, plan({ instance }).options),
      platform: { endpoints: () => ({ url: base }) } as unknown as Platform,
    }) as DrillEnv;
  const fault = { description: 'outage', touched: ['calibration/conf'] };

  it("from the target's record of who sent the last command, without the receipt", async () => {
    await fetch(`${base}/i/conf/fault`, {
      method: 'POST',
      body: JSON.stringify({ durationMs: 10, tag: 'run-a' }),
    });
    // A worker that resumed the step after a crash has only what fire() journaled: no receipt.
    await expect(calibration.confirm(envFor('run-a', 'conf'), {}, fault)).resolves.toMatch(
      /^the target took the fault at /,
    );
    await expect(calibration.confirm(envFor('run-b', 'conf'), {}, fault)).rejects.toThrow(
      /was sent by run-a, not by this run/,
    );
    await fetch(`${base}/i/conf/reset`, { method: 'POST' });
  });
});
