// What drills look at to confirm a fault on the system itself, through the platform contract: the
// members' own health as the platform checks it (a process gone, a pod not Ready), never the
// drill's memory of what it did.
import type { DrillEnv } from './definition.ts';

/** Resolves with the health detail of each named member once every one of them is down; throws otherwise. */
export async function membersDown(env: DrillEnv, component: string, members: string[]): Promise<string> {
  const health = await env.platform.health(component);
  const state = members.map((name) => ({ name, h: health.find((x) => x.member === name) }));
  const up = state.filter((x) => x.h?.up);
  if (up.length) throw new Error(`${up.map((x) => `${x.name} (${x.h!.detail})`).join(', ')} still up`);
  return state.map((x) => `${x.name}: ${x.h?.detail ?? 'not listed'}`).join('; ');
}
