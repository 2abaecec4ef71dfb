// Whether a TimescaleDB cluster serves its data, judged over a window rather than from one probe:
// the restore drill's revert destroys what is there (SIGKILL every member, wipe the replicas,
// restore the primary's directory from the backup), so it must only do that to a cluster that is
// really not serving — never to one that was electing a leader, restarting, or slow to answer.
import type { DrillEnv } from '../../drill/definition.ts';
import { sleep } from '../../util/wait.ts';
import { closeState, openState } from './drill-steps.ts';
import { LEDGER_TABLE } from './ledger.ts';

/** What one look at the cluster saw. */
export interface ClusterLook {
  /** The running primary Patroni names, if any. */
  leader?: string;
  /** Every member is the leader or streams from it. */
  healthy: boolean;
  /** The drills' ledger table answered a read on the leader: the data is there, not a fresh initdb. */
  tableReadable: boolean;
  summary: string;
}

export interface ServingVerdict {
  /** A leader answered and its data was readable, at some look inside the window. */
  serving: boolean;
  /** The look that decided: the serving one, or the last one. */
  last: ClusterLook;
  looks: number;
  elapsedMs: number;
  /** One sentence for the log: why the revert does (or does not) restore. */
  why: string;
}

export interface LookWindow {
  /** How long to keep looking before calling the cluster not serving (default 30 s). */
  windowMs?: number;
  /** Between looks (default 2 s). */
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const SERVING_WINDOW_MS = 30_000;

const serves = (l: ClusterLook) => l.leader !== undefined && l.tableReadable;

/**
 * Looks at the cluster until it serves (then stops at once) or the window has passed. A look that
 * throws counts as "not serving", never as proof that the data is gone.
 */
export async function lookUntilServing(
  look: () => Promise<ClusterLook>,
  w: LookWindow = {},
): Promise<ServingVerdict> {
  const windowMs = w.windowMs ?? SERVING_WINDOW_MS;
  const now = w.now ?? Date.now;
  const wait = w.sleep ?? sleep;
  const started = now();
  for (let looks = 1; ; looks++) {
    const last = await look().catch((err: Error): ClusterLook => ({
      healthy: false,
      tableReadable: false,
      summary: `no answer: ${err.message}`,
    }));
    const elapsedMs = now() - started;
    if (serves(last))
      return {
        serving: true,
        last,
        looks,
        elapsedMs,
        why: `${last.leader} leads and ${LEDGER_TABLE} is readable (look ${looks}, after ${elapsedMs} ms): the data is there, nothing is restored`,
      };
    if (elapsedMs >= windowMs)
      return {
        serving: false,
        last,
        looks,
        elapsedMs,
        why: `no member served the data in ${looks} looks over ${(elapsedMs / 1000).toFixed(1)} s (last: ${last.summary}): restoring from the backup`,
      };
    await wait(Math.min(w.intervalMs ?? 2_000, Math.max(0, windowMs - elapsedMs)));
  }
}

/** What the revert does after looking: nothing, bring members back, or the whole restore. */
export function revertPlan(v: ServingVerdict): 'nothing' | 'heal' | 'restore' {
  if (!v.serving) return 'restore';
  return v.last.healthy ? 'nothing' : 'heal';
}

/** One look: Patroni's view of the leader, then a read of the ledger table on it. */
export async function lookAtCluster(env: DrillEnv): Promise<ClusterLook> {
  const s = openState(env);
  try {
    const h = await s.patroni.health();
    if (!h.leader) return { healthy: false, tableReadable: false, summary: h.summary };
    const primary = await s.patroni.primary(h.leader, 1_000);
    const unreadable = await s.pools
      .with(primary, 'ledger', (c) => c.query(`SELECT 1 FROM ${LEDGER_TABLE} LIMIT 1`))
      .then(
        () => undefined,
        (err: Error) => err.message,
      );
    return {
      leader: h.leader,
      healthy: h.healthy,
      tableReadable: unreadable === undefined,
      summary: unreadable ? `${h.summary}; ${LEDGER_TABLE} not readable: ${unreadable}` : h.summary,
    };
  } finally {
    await closeState(s);
  }
}
