// The pause a crash-consistent snapshot needs (Milvus's process group SIGSTOPped while its storage
// is copied), as a journaled preparation of the fault: recorded before the SIGSTOP, so that a
// worker dying inside the copy leaves an entry the compensation finds, and undone by a SIGCONT —
// harmless when Milvus already runs — instead of leaving Milvus stopped with nothing to revert.
import type { DrillEnv, Fault } from '../../drill/definition.ts';
import { actionsOf } from '../../platform/call-action.ts';
import type { Platform } from '../../platform/platform.ts';
import type { MilvusActions } from './actions.ts';
import { COMPONENT } from './client.ts';

/** What was paused, as the journal keeps it. */
export interface PauseEffect extends Fault {
  paused: {
    component: string;
    members: string[];
    /** The members' process ids when paused (the platform's incarnation), when it tells them. */
    incarnations: Record<string, string>;
    signal: 'SIGSTOP';
    /** The snapshot the pause was for. */
    snapshot: string;
  };
}

export const isPauseEffect = (f: Fault): f is PauseEffect =>
  typeof (f as PauseEffect).paused === 'object' && (f as PauseEffect).paused !== null;

/** The effect to journal before a snapshot pauses Milvus (asks the platform who is paused). */
export async function pauseEffect(platform: Platform, snapshot: string): Promise<PauseEffect> {
  const members = platform.members(COMPONENT).map((m) => m.name);
  const incarnations: Record<string, string> = {};
  for (const name of members) {
    const d = await platform.describe?.(COMPONENT, name).catch(() => undefined);
    if (d) incarnations[name] = d.incarnation;
  }
  return {
    description: `pause Milvus (SIGSTOP of ${members.join(', ')}'s process group) while its storage is copied to snapshot ${snapshot}`,
    touched: members.map((m) => `${COMPONENT}/${m}`),
    paused: { component: COMPONENT, members, incarnations, signal: 'SIGSTOP', snapshot },
  };
}

/** Undoes the pause: SIGCONT to what a snapshot pauses. Idempotent. */
export async function resumePaused(env: DrillEnv, effect: PauseEffect): Promise<void> {
  const r = await actionsOf<MilvusActions>(env.platform, COMPONENT)('resume', {});
  env.log.info(
    { preparation: effect.preparation, paused: effect.paused, resumed: r.resumed },
    r.resumed
      ? `${r.member} resumed (SIGCONT) after the snapshot pause`
      : `${r.member} is not running: nothing paused is left to resume`,
  );
}
