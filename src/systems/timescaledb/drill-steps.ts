// What the TimescaleDB drills share, on whatever platform they run: Patroni from the platform's
// endpoints, the client state (canary, ledger and read-back on whichever member is primary now),
// waiting for a healthy cluster, and the compensation that brings every member back.
import type { DrillDefinition, DrillEnv } from '../../drill/definition.ts';
import { actionsOf } from '../../platform/call-action.ts';
import type { Platform } from '../../platform/platform.ts';
import { sleep } from '../../util/wait.ts';
import type { TimescaledbActions } from './actions.ts';
import { isDefiniteFailure, PrimaryLocator, Pools } from './client.ts';
import { canary, readLedger, writeLedger, type PrimaryClient } from './ledger.ts';
import { COMPONENT, type Credentials } from './names.ts';
import { Patroni, type Health } from './patroni.ts';

/** The cluster's Patroni, through the platform's endpoints, judged against the platform's members. */
export function patroniOf(platform: Platform): Patroni {
  return new Patroni(platform.endpoints(COMPONENT).patroni!.split(','), {
    expected: () => platform.members(COMPONENT).map((m) => m.name),
  });
}

/** A drill's state: the primary client, and what the drill has already put on the timeline. */
export interface PgState extends PrimaryClient {
  /** What fullyRecovered() has already put on the timeline. */
  seen: Set<string>;
  lastLeader?: string;
  lastSync?: string | null;
}

export function openState(env: DrillEnv): PgState {
  const patroni = patroniOf(env.platform);
  const credentials = () => env.platform.info(COMPONENT).credentials as Credentials;
  return { patroni, locator: new PrimaryLocator(patroni), pools: new Pools(credentials), seen: new Set() };
}

export async function closeState(s: PgState): Promise<void> {
  await s.pools.end();
}

/**
 * The steps every TimescaleDB drill takes the same way: the client state, the canary and the ledger
 * on whichever member is primary now. A drill spreads them into its definition.
 */
export const primaryClientSteps = {
  open: async (env) => openState(env),
  close: async (_env, s) => closeState(s),
  canary: async (env, s) => canary(s, env.runId),
  write: async (_env, s, record) => writeLedger(s, record),
  isDefiniteFailure,
  readBack: async (_env, s, prefix) => readLedger(s, prefix),
} satisfies Pick<
  DrillDefinition<PgState>,
  'open' | 'close' | 'canary' | 'write' | 'isDefiniteFailure' | 'readBack'
>;

/** Polls Patroni until `until` holds (default: the cluster is healthy) or the time is up; the last state. */
export async function waitHealthy(
  s: { patroni: Patroni },
  timeoutMs: number,
  until: (h: Health) => boolean = (h) => h.healthy,
): Promise<Health | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last: Health | undefined;
  for (;;) {
    last = await s.patroni.health().catch(() => last);
    if ((last && until(last)) || Date.now() > deadline) return last;
    await sleep(500);
  }
}

/**
 * Compensation shared by the TimescaleDB drills: every member running again (the killed node comes
 * back), one leader, every replica streaming; a member that cannot rejoin is re-initialised from
 * the leader. Throws while the cluster is not healthy (the engine retries the compensation).
 */
export async function healCluster(env: DrillEnv): Promise<Health> {
  const patroni = patroniOf(env.platform);
  try {
    await env.platform.restart(COMPONENT);
  } catch (err) {
    env.log.warn(
      { error: (err as Error).message },
      'a member did not rejoin on restart; checking the cluster',
    );
  }
  let h = await waitHealthy({ patroni }, 120_000);
  if (h?.healthy) return h;
  if (!h?.leader)
    throw new Error(`no primary after restarting every member: ${h?.summary ?? 'Patroni unreachable'}`);
  for (const name of h.lagging) {
    env.log.warn({ member: name, health: h.summary }, 're-initialising a member that did not rejoin');
    await patroni
      .reinitialize(name)
      .catch((err: Error) => env.log.warn({ member: name, error: err.message }, 'reinitialize refused'));
  }
  h = await waitHealthy({ patroni }, 300_000);
  if (!h?.healthy)
    throw new Error(
      `the cluster is not healthy after re-initialising: ${h?.summary ?? 'Patroni unreachable'}`,
    );
  return h;
}

/** The platform's TimescaleDB actions, each call checked against TimescaledbActions. */
export const timescaledbActions = (platform: Platform) => actionsOf<TimescaledbActions>(platform, COMPONENT);
