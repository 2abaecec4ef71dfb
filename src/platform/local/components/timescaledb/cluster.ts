// The sandbox's TimescaleDB members through the one Patroni client (src/systems/timescaledb):
// each member's REST URL from its ports, the primary, waiting for a member to rejoin or for a
// synchronous standby, and superuser connections for the sandbox's own SQL.
import pg from 'pg';
import type { Credentials } from '../../../../systems/timescaledb/names.ts';
import {
  isPrimaryRole,
  Patroni,
  streamingFrom,
  syncStandbyOf,
  type PatroniStatus,
  type PrimaryRef,
} from '../../../../systems/timescaledb/patroni.ts';
import { ensureAppDatabase } from '../../../../systems/timescaledb/sql.ts';
import { waitHealthy } from '../../members.ts';
import { HOST } from '../../ports.ts';
import type { ComponentState, MemberState } from '../../types.ts';

/** The sandbox's REST calls wait this long (the members are local). */
const REST_TIMEOUT_MS = 1_500;

export function restUrl(member: MemberState): string {
  return `http://${HOST}:${member.ports.patroni}`;
}

/** The cluster's Patroni, its members (names, PostgreSQL ports) known from the sandbox state. */
export function patroniOf(state: ComponentState): Patroni {
  return new Patroni(state.members.map(restUrl), {
    expected: () => state.members.map((m) => m.name),
    known: state.members.map((m) => ({ name: m.name, api: restUrl(m), host: HOST, port: m.ports.postgres! })),
  });
}

export function patroniStatus(member: MemberState): Promise<PatroniStatus> {
  return new Patroni([restUrl(member)]).status(restUrl(member), REST_TIMEOUT_MS);
}

/** The current primary, as Patroni sees it: the one member whose `GET /primary` answers 200. */
export function findPrimary(state: ComponentState): Promise<PrimaryRef> {
  return patroniOf(state).primary(undefined, REST_TIMEOUT_MS);
}

export function credentials(state: ComponentState): Credentials {
  return state.info.credentials as Credentials;
}

/** Replica members currently streaming from the primary (from the primary's pg_stat_replication). */
async function streamingReplicas(state: ComponentState): Promise<{ primary: string; streaming: string[] }> {
  const primary = await findPrimary(state);
  const leader = state.members.find((m) => m.name === primary.member)!;
  return { primary: primary.member, streaming: streamingFrom(await patroniStatus(leader)) };
}

/**
 * Wakes a member's HA loop now instead of after up to loop_wait (Patroni.nudge). On the leader
 * that cycle creates the slot of a member that has just registered; on a rejoining member it
 * moves on (e.g. to pg_rewind) without sleeping. Only used while the sandbox starts a member,
 * never during a fault: failover timings stay Patroni's own.
 */
function nudge(state: ComponentState, member: MemberState): Promise<void> {
  return new Patroni([restUrl(member)]).nudge(restUrl(member), state.info.loop_wait);
}

/** `fn` throttled for a polling loop: it runs on the first call and then at most every `ms`. */
function atMostEvery(ms: number, fn: () => Promise<unknown>): () => Promise<void> {
  let last = 0;
  return async () => {
    if (Date.now() - last <= ms) return;
    last = Date.now();
    await fn();
  };
}

/** Waits until the member runs again: as the primary, or as a replica the primary streams to. */
export async function waitRejoined(
  state: ComponentState,
  member: MemberState,
  timeoutMs = 180_000,
): Promise<void> {
  // Until it streams: have the leader create the member's slot as soon as it has registered
  // (while it is still cloning), so its walreceiver does not start against a missing slot.
  const nudgeBoth = atMostEvery(500, async () => {
    const primary = await findPrimary(state).catch(() => undefined);
    const leader = state.members.find((m) => m.name === primary?.member);
    await Promise.all([...new Set([leader ?? member, member])].map((m) => nudge(state, m).catch(() => {})));
  });
  await waitHealthy(
    member,
    'the member to run as primary or streaming replica',
    async () => {
      await nudgeBoth();
      const s = await patroniStatus(member);
      if (s.state !== 'running') return false;
      if (isPrimaryRole(s.role)) return (await findPrimary(state)).member === member.name;
      return (await streamingReplicas(state)).streaming.includes(member.name);
    },
    timeoutMs,
  );
}

/**
 * Waits until the leader's commits wait for a standby (pg_stat_replication sync_state sync or
 * quorum) and the DCS names it (role sync_standby in /cluster), nudging the leader's HA loop
 * meanwhile.
 */
export async function waitSyncStandby(state: ComponentState, timeoutMs = 60_000): Promise<string> {
  let standby: string | undefined;
  const patroni = patroniOf(state);
  const primary = await findPrimary(state);
  const leader = state.members.find((m) => m.name === primary.member)!;
  const nudgeLeader = atMostEvery(1_000, () => nudge(state, leader).catch(() => {}));
  await waitHealthy(
    leader,
    'Patroni to register a synchronous standby (synchronous_mode is on)',
    async () => {
      await nudgeLeader();
      const status = await patroniStatus(leader);
      const cluster = await patroni.clusterAt(restUrl(leader), REST_TIMEOUT_MS);
      standby = syncStandbyOf(status, cluster);
      return standby !== undefined;
    },
    timeoutMs,
  );
  return standby!;
}

/** A superuser connection to the member listening on `port`. */
export async function superuserClient(
  state: ComponentState,
  port: number,
  timeoutMs = 2_000,
): Promise<pg.Client> {
  const creds = credentials(state);
  const client = new pg.Client({
    host: HOST,
    port,
    user: creds.superuser.username,
    password: creds.superuser.password,
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Creates the application role and database on the primary (idempotent). */
export async function createAppDatabase(state: ComponentState): Promise<void> {
  const creds = credentials(state);
  const primary = await findPrimary(state);
  const client = new pg.Client({
    host: primary.host,
    port: primary.port,
    user: creds.superuser.username,
    password: creds.superuser.password,
    database: 'postgres',
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    await ensureAppDatabase(client, creds.app);
  } finally {
    await client.end().catch(() => {});
  }
}
