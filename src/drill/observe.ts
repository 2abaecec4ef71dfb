// What drills look at to confirm a fault on the system itself, through the platform contract: the
// members' own health as the platform checks it (a process gone, a pod not Ready), never the
// drill's memory of what it did.
import { sleep } from '../util/wait.ts';
import type { DrillEnv } from './definition.ts';

/** Resolves with the health detail of each named member once every one of them is down; throws otherwise. */
export async function membersDown(env: DrillEnv, component: string, members: string[]): Promise<string> {
  const health = await env.platform.health(component);
  const state = members.map((name) => ({ name, h: health.find((x) => x.member === name) }));
  const up = state.filter((x) => x.h?.up);
  if (up.length) throw new Error(`${up.map((x) => `${x.name} (${x.h!.detail})`).join(', ')} still up`);
  return state.map((x) => `${x.name}: ${x.h?.detail ?? 'not listed'}`).join('; ');
}

/**
 * Resolves once the ledger is seen writing (its log grows), or throws when it does not within
 * `withinMs`. The engine stops the ledger when a drill is aborted, before it compensates, and a
 * step is not told it was cancelled: an inject() that waits before firing calls this right
 * before env.fire(), so that an aborted drill never fires a fault that nobody would revert.
 */
export async function ledgerStillWriting(env: DrillEnv, withinMs = 3_000): Promise<void> {
  const start = env.evidence.ledgerBytes();
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (env.evidence.ledgerBytes() > start) return;
    await sleep(5);
  }
  throw new Error(`the ledger has stopped writing (was the drill aborted?): the fault is not fired`);
}

/** Sleeps `ms`, checking every second that the run is not aborted and the ledger still writes. */
export async function sleepWhileWriting(env: DrillEnv, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(Math.min(1_000, end - Date.now()));
    if (env.signal.aborted)
      throw env.signal.reason ?? new Error('aborted while waiting: the fault is not fired');
    await ledgerStillWriting(env);
  }
}
