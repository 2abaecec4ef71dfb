// milvus-index-corruption's revert, as pure dispatch over a fake platform that records every call:
// the snapshot's pause (a journaled preparation) is undone by a resume and nothing else; the fault
// itself is reverted as before (kill, restore, restart), never by a resume alone.
import { describe, expect, it } from 'vitest';
import drill from '../../drills/milvus-index-corruption.ts';
import type { DrillEnv, Fault } from '../../src/drill/definition.ts';
import type { Platform } from '../../src/platform/platform.ts';
import { pauseEffect, type PauseEffect } from '../../src/systems/milvus/pause.ts';

const STOP = 'the fake platform has no Milvus to connect to';

/** A platform whose every call is recorded; Milvus is down, its snapshot is listed. */
function fakePlatform(opts: { running?: boolean } = {}) {
  const calls: string[] = [];
  const platform = {
    ref: { kind: 'local', sandbox: 'unit' },
    members: () => [{ name: 'milvus-0', index: 0 }],
    describe: async (_c: string, m: string | number) => ({
      name: String(m),
      index: 0,
      incarnation: '4242,4243',
      up: true,
      terminating: false,
      place: 'sandbox unit, milvus-0',
    }),
    health: async (c: string) => (
      calls.push(`health ${c}`),
      [{ member: 'milvus-0', up: false, detail: 'down' }]
    ),
    kill: async (c: string, m: string | number, s?: string) => void calls.push(`kill ${c} ${m} ${s}`),
    restart: async (c: string) => (calls.push(`restart ${c}`), ['milvus-0']),
    action: async (c: string, name: string) => {
      calls.push(`action ${c} ${name}`);
      if (name === 'resume') return { member: 'milvus-0', resumed: opts.running ?? true };
      if (name === 'snapshots') return ['snap-1'];
      if (name === 'index-files') return [];
      if (name === 'restore-snapshot') return { label: 'snap-1', root: '/x', ms: 1 };
      throw new Error(`unexpected action ${name}`);
    },
    endpoints: () => {
      throw new Error(STOP); // where the fault's revert would open a client: the test ends there
    },
  } as unknown as Platform;
  return { platform, calls };
}

function fakeEnv(platform: Platform) {
  const logged: string[] = [];
  const env = {
    runId: 'milvus-index-corruption-milvus-restore-1',
    variant: 'milvus-restore',
    platform,
    log: { info: (_o: unknown, m?: string) => logged.push(m ?? ''), warn: () => {} },
    mark: () => {},
  } as unknown as DrillEnv;
  return { env, logged };
}

describe('milvus-index-corruption revert dispatch', () => {
  it('the pause effect records what was paused before anything is stopped', async () => {
    const { platform, calls } = fakePlatform();
    const effect = await pauseEffect(platform, 'snap-1');
    expect(effect.paused).toEqual({
      component: 'milvus',
      members: ['milvus-0'],
      incarnations: { 'milvus-0': '4242,4243' },
      signal: 'SIGSTOP',
      snapshot: 'snap-1',
    });
    expect(effect.touched).toEqual(['milvus/milvus-0']);
    expect(calls).toEqual([]); // recording it touched nothing
  });

  it('a preparation (the snapshot pause) is undone by a resume, and nothing else is touched', async () => {
    const { platform, calls } = fakePlatform();
    const { env, logged } = fakeEnv(platform);
    const effect: PauseEffect = { ...(await pauseEffect(platform, 'snap-1')), preparation: 'prepare-1' };
    await drill.revert(env, effect);
    expect(calls).toEqual(['action milvus resume']);
    expect(logged).toEqual(['milvus-0 resumed (SIGCONT) after the snapshot pause']);
    // Idempotent: undoing twice does the same harmless thing.
    await drill.revert(env, effect);
    expect(calls).toEqual(['action milvus resume', 'action milvus resume']);
  });

  it('a pause whose Milvus is no longer running resumes nothing and succeeds', async () => {
    const { platform, calls } = fakePlatform({ running: false });
    const { env, logged } = fakeEnv(platform);
    await drill.revert(env, { ...(await pauseEffect(platform, 'snap-1')), preparation: 'prepare-1' });
    expect(calls).toEqual(['action milvus resume']);
    expect(logged[0]).toMatch(/not running: nothing paused is left to resume/);
  });

  it('a preparation this drill does not make is refused, touching nothing', async () => {
    const { platform, calls } = fakePlatform();
    const { env } = fakeEnv(platform);
    await expect(
      drill.revert(env, { description: 'something else', touched: [], preparation: 'prepare-2' }),
    ).rejects.toThrow(/preparation prepare-2 \("something else"\) is not one this drill makes/);
    expect(calls).toEqual([]);
  });

  it('the fault itself is reverted as before (kill, restore the snapshot, restart), not by a resume', async () => {
    const { platform, calls } = fakePlatform();
    const { env } = fakeEnv(platform);
    const fault: Fault = {
      description: 'kill Milvus and wipe its storage',
      touched: ['milvus/milvus-0'],
      collection: 'firedrill_ann',
      indexType: 'IVF_FLAT',
      snapshot: { label: 'snap-1', path: '/s', at: 1, pausedMs: 5, bytes: 10 },
    };
    await expect(drill.revert(env, fault)).rejects.toThrow(STOP);
    expect(calls).toEqual([
      'health milvus',
      'kill milvus 0 SIGKILL',
      'action milvus snapshots',
      'action milvus index-files',
      'action milvus restore-snapshot',
      'restart milvus',
    ]);
  });
});
