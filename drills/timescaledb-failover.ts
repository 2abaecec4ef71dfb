// TimescaleDB primary failover under Patroni. Runbook: "Database failover" (seed, High Availability:
// 1 primary + 2 replicas, Patroni automatic failover in < 30 s).
//
// - node-loss: the primary's node dies — Patroni and PostgreSQL SIGKILLed together. Nobody releases
//   the leader key: the replicas wait for it to expire (ttl) and the healthiest one promotes itself.
//   When the node comes back its Patroni rejoins it as a replica (pg_rewind when it had diverged).
// - graceful: the primary's pod is deleted (SIGTERM): Patroni stops PostgreSQL cleanly and releases
//   the key, and a replica promotes at once.
// - postgres-crash: only the postmaster dies. Patroni still holds the key and restarts PostgreSQL in
//   place (crash recovery) rather than failing over — the drill measures how long that takes.
//
// Clients find the primary through Patroni's REST API, as an application behind a /primary health
// check does. The ledger measures what a failover loses: with asynchronous replication the last
// acknowledged writes may not have reached the replica that is promoted; synchronous_mode promotes
// only the synchronous standby. The spec promises RPO 0 only with synchronous mode, so the RPO is
// reported, not judged (scenario "failover", rpo "report").
import { defineDrill, type Fault } from '../src/drill/definition.ts';
import { membersDown } from '../src/drill/observe.ts';
import { connectError } from '../src/systems/timescaledb/client.ts';
import {
  healCluster,
  patroniOf,
  primaryClientSteps,
  timescaledbActions,
  waitHealthy,
  type PgState,
} from '../src/systems/timescaledb/drill-steps.ts';
import {
  ensureSchema,
  LEDGER_TABLE_FILE,
  replicationLag,
  serverSettings,
  type LedgerTableInfo,
  type ReplicaLag,
} from '../src/systems/timescaledb/ledger.ts';
import { COMPONENT } from '../src/systems/timescaledb/names.ts';
import { failoverSettings, isSyncState, postmasterStartedAt } from '../src/systems/timescaledb/patroni.ts';
import { UserError } from '../src/util/errors.ts';
import { sleep } from '../src/util/wait.ts';

interface FailoverFault extends Fault {
  variant: string;
  /** The primary when the fault was fired, its index and timeline. */
  primary: string;
  primaryIndex: number;
  timeline: number | null;
  syncStandby: string | null;
  replicas: string[];
  replicationAtFault: ReplicaLag[];
  /** Epoch ms just before the fault command. */
  at: number;
}

export default defineDrill<PgState>({
  name: 'timescaledb-failover',
  title: 'TimescaleDB primary failover (Patroni)',
  hypothesis:
    'When the primary is lost, Patroni promotes a replica and clients that follow GET /primary write again within 30 s; the old primary rejoins as a streaming replica; with synchronous_mode no acknowledged write is lost, without it the last ones may be.',
  target: { component: COMPONENT, scenario: 'failover' },
  variants: {
    'node-loss': {
      description:
        "SIGKILL the primary's Patroni and PostgreSQL together (node loss: the leader key must expire)",
    },
    graceful: {
      description:
        "stop the primary's member cleanly with SIGTERM (pod delete: Patroni releases the leader key)",
    },
    'postgres-crash': {
      description: 'SIGKILL only the postmaster of the primary (Patroni restarts it in place)',
    },
  },
  defaultVariant: 'node-loss',
  options: {
    'rejoin-timeout': {
      type: 'duration',
      default: '2m',
      // Not holdsFault: it is the fallback when no replica is promoted, a run already breached; it
      // may outlast the 60 s deadline by design, so it is bounded instead.
      max: '10m',
      description:
        'node-loss, graceful: the lost node comes back after this long even when no replica was promoted (in synchronous mode only the standby Patroni has registered may be)',
    },
    'rejoin-after': {
      type: 'duration',
      default: '0s',
      max: '1h',
      holdsFault: true,
      description:
        'node-loss, graceful: how long after a replica has been promoted the lost node comes back (Kubernetes reschedules the pod; the sandbox emulates it)',
    },
  },
  // One writer: each write starts after the previous one was acknowledged, so commit order is
  // acknowledgement order and "non-prefix loss" is exact. With concurrent writers two commits
  // flushed together can be acknowledged in either order, and a cut between them would be
  // flagged as non-prefix loss although PostgreSQL lost a clean suffix.
  ledger: { concurrency: 1, minAckedBeforeFault: 200 },
  needs: [COMPONENT],
  requires: { capabilities: ['kill', 'restart', 'actions'], actions: ['kill-postmaster'] },
  // The remediation waits for the promotion itself, then brings the node back.
  remediateAfterMs: () => 0,

  ...primaryClientSteps,

  async preflight(env, s) {
    const h = await s.patroni.health().catch((err: Error) => {
      throw new UserError(
        `cannot read the state of the ${COMPONENT} cluster from Patroni: ${err.message}`,
        'is the sandbox up (`firedrill sandbox status`)?',
      );
    });
    const replicas = env.platform.members(COMPONENT).length - 1;
    if (!h.leader)
      throw new UserError(
        `${COMPONENT} has no running primary to fail over from (${h.summary})`,
        'wait for Patroni to elect one, or restart the cluster',
      );
    if (h.streaming.length === 0) {
      throw new UserError(
        `${COMPONENT} has no healthy replica to fail over to: none of the ${replicas} replicas streams from the primary ${h.leader} (${h.summary})`,
        'restart the replicas (`firedrill sandbox restart timescaledb`) and wait until they stream',
      );
    }
    if (h.lagging.length) {
      throw new UserError(
        `only ${h.streaming.length} of ${replicas} ${COMPONENT} replicas stream from the primary (${h.summary})`,
        'a failover drill starts from a healthy cluster: restart the others (`firedrill sandbox restart timescaledb`) first',
      );
    }
    const dcs = await s.patroni.config();
    if (dcs.synchronous_mode === true && !h.syncStandby) {
      // Patroni names one within a loop_wait of a replica streaming (e.g. just after the sandbox
      // or a previous drill brought a member back): give it two loops before refusing.
      const loopWaitS = typeof dcs.loop_wait === 'number' ? dcs.loop_wait : 10;
      const now = (await waitHealthy(s, (2 * loopWaitS + 5) * 1_000, (x) => !!x.syncStandby)) ?? h;
      if (!now.syncStandby)
        throw new UserError(
          `synchronous_mode is on but Patroni has no synchronous standby registered after ${2 * loopWaitS + 5} s (${now.summary}): no replica could be promoted now`,
          'check the replicas stream from the primary and are not tagged nosync, then run the drill again',
        );
    }
    env.evidence.write(LEDGER_TABLE_FILE, await ensureSchema(s));
    // synchronous_mode promises that no acknowledged write is lost on failover (the spec judges
    // RPO 0 then); asynchronous replication promises nothing, and the loss is only reported.
    if (dcs.synchronous_mode === true)
      return {
        rpo: {
          rpoMs: 0,
          source:
            'synchronous_mode is on (Patroni promotes only the synchronous standby: zero loss promised)',
        },
      };
  },

  async inject(env, s): Promise<FailoverFault> {
    const h = await s.patroni.health();
    if (!h.leader) throw new Error(`no running primary at injection time (${h.summary})`);
    const member = env.platform.members(COMPONENT).find((m) => m.name === h.leader)!;
    const what = {
      'node-loss': `SIGKILL ${h.leader} (Patroni and PostgreSQL: node loss)`,
      graceful: `SIGTERM ${h.leader} (pod delete: Patroni shuts PostgreSQL down and releases the leader key)`,
      'postgres-crash': `SIGKILL the postmaster of ${h.leader} (Patroni keeps running)`,
    }[env.variant]!;
    // What a failover can lose: WAL the primary has flushed and acknowledged but a replica has not.
    const lag = await replicationLag(s).catch(() => []);
    const lagNote = lag.length
      ? `; replica flush lag ${lag.map((r) => `${r.name} ${r.flushLagBytes} B${isSyncState(r.sync) ? ` (${r.sync})` : ''}`).join(', ')}`
      : '';
    const fault: FailoverFault = {
      description: `${what}; primary ${h.leader} on timeline ${h.leaderTimeline ?? '?'}${h.syncStandby ? `, sync standby ${h.syncStandby}` : ''}${lagNote}`,
      touched: [`${COMPONENT}/${h.leader}`],
      variant: env.variant,
      primary: h.leader,
      primaryIndex: member.index,
      timeline: h.leaderTimeline ?? null,
      syncStandby: h.syncStandby ?? null,
      replicas: h.streaming,
      replicationAtFault: lag,
      at: Date.now(),
    };
    await env.fire(fault, async () => {
      if (env.variant === 'node-loss') await env.platform.kill(COMPONENT, member.index, 'SIGKILL');
      else if (env.variant === 'graceful') await env.platform.kill(COMPONENT, member.index, 'SIGTERM');
      else await timescaledbActions(env.platform)('kill-postmaster', { member: fault.primary });
    });
    return fault;
  },

  async confirm(env, s, fault) {
    const f = fault as FailoverFault;
    if (f.variant !== 'postgres-crash') return membersDown(env, COMPONENT, [f.primary]);
    // Patroni keeps running and restarts PostgreSQL in place: the crash shows as a postmaster
    // that refuses connections, or as one started after the fault.
    const member = (await s.patroni.cluster()).find((m) => m.name === f.primary);
    if (!member) throw new Error(`${f.primary} is not registered with Patroni`);
    const refused = await connectError(member.host, member.port, 500);
    if (refused === 'ECONNREFUSED') return `${f.primary}: PostgreSQL refuses connections (postmaster gone)`;
    const status = await s.patroni.status(member).catch(() => undefined);
    const started = postmasterStartedAt(status) ?? NaN;
    if (started > f.at) return `${f.primary}: postmaster restarted at ${new Date(started).toISOString()}`;
    if (status?.state && status.state !== 'running')
      return `${f.primary}: Patroni reports PostgreSQL ${status.state}`;
    throw new Error(`${f.primary}'s postmaster still accepts connections and was not restarted`);
  },

  async remediate(env, fault) {
    const f = fault as FailoverFault;
    // postgres-crash: Patroni is alive and restarts PostgreSQL itself; nothing to bring back.
    if (f.variant === 'postgres-crash') return;
    // The node comes back once the cluster has failed over (a node that returned before its leader
    // key expired would simply take its key back: that would be no failover at all).
    const patroni = patroniOf(env.platform);
    const deadline = f.at + env.options.number('rejoin-timeout');
    let promoted = false;
    while (!promoted && Date.now() < deadline) {
      const primary = await patroni.primary(undefined, 500).catch(() => undefined);
      promoted = primary !== undefined && primary.member !== f.primary;
      if (!promoted) await sleep(250);
    }
    if (!promoted) {
      // A cluster that cannot fail over waits for its old primary: that is what happens here.
      env.mark(
        'no-promotion',
        `no replica was promoted within ${env.options.values['rejoin-timeout']} ms: ${f.primary} comes back anyway`,
      );
    } else {
      await sleep(env.options.number('rejoin-after'));
    }
    env.mark(
      'node-back',
      promoted
        ? `${f.primary} started again; Patroni rejoins it as a replica (pg_rewind if needed)`
        : `${f.primary} started again; with no other primary it may take its leader key back`,
    );
    await env.platform.restart(COMPONENT, f.primary);
  },

  async fullyRecovered(env, s, fault) {
    const f = fault as FailoverFault;
    const h = await s.patroni.health();
    // The timeline as the drill sees it: who leads, when the old primary streams again.
    if (h.leader && h.leader !== (s.lastLeader ?? f.primary)) {
      const sync = f.syncStandby
        ? h.leader === f.syncStandby
          ? ', the synchronous standby'
          : `, not the synchronous standby ${f.syncStandby}`
        : '';
      env.mark('promoted', `${h.leader} is the primary on timeline ${h.leaderTimeline ?? '?'}${sync}`);
    }
    if (h.leader) s.lastLeader = h.leader;
    const restartedInPlace = h.leader === f.primary && (h.leaderStartedAt ?? 0) > f.at;
    if (restartedInPlace && !s.seen.has('restarted')) {
      s.seen.add('restarted');
      env.mark(
        'restarted-in-place',
        `${f.primary} is primary again after a local restart, timeline ${h.leaderTimeline ?? '?'}`,
      );
    }
    if (h.leader && h.leader !== f.primary && h.streaming.includes(f.primary) && !s.seen.has('rejoined')) {
      s.seen.add('rejoined');
      env.mark('old-primary-streaming', `${f.primary} streams from ${h.leader}`);
    }
    // With synchronous replication before the fault: when the new (or restarted) primary's commits
    // wait for a standby again. Until then they are acknowledged without one.
    const sync = f.syncStandby !== null;
    if (
      sync &&
      h.leader &&
      s.lastSync !== (h.syncStandby ?? null) &&
      (h.leader !== f.primary || restartedInPlace)
    ) {
      s.lastSync = h.syncStandby ?? null;
      env.mark(
        'sync-standby',
        h.syncStandby
          ? `${h.syncStandby} is the synchronous standby of ${h.leader}`
          : `${h.leader} has no standby in sync state (pg_stat_replication): its commits are not confirmed by a replica`,
      );
    }
    // Full redundancy: a primary and every other member streaming from it — with the old primary
    // either a streaming replica, or (restarted in place) the primary again — and, where commits
    // waited for a synchronous standby before the fault, waiting for one again.
    const oldPrimaryBack = h.leader === f.primary ? restartedInPlace : h.streaming.includes(f.primary);
    return h.healthy && oldPrimaryBack && (!sync || h.syncStandby !== undefined);
  },

  async revert(env) {
    await healCluster(env);
  },

  async config(env, s) {
    const patroni = await failoverSettings(s.patroni);
    const server = await serverSettings(s).catch((err: Error) => ({ error: err.message }));
    const info = env.platform.info(COMPONENT);
    return {
      ...patroni,
      patroniSource: (info.patroni as { source?: string } | undefined)?.source,
      patroniOverrides: (info.patroni as { overrides?: unknown } | undefined)?.overrides ?? null,
      server,
      ledgerTable: env.evidence.read<LedgerTableInfo>(LEDGER_TABLE_FILE) ?? null,
      members: env.platform.members(COMPONENT).length,
      clientPath: 'primary = the member answering Patroni GET /primary 200; ledger writes autocommit INSERTs',
      rejoinAfterMs: env.options.values['rejoin-after'],
      rejoinTimeoutMs: env.options.values['rejoin-timeout'],
      rpoTarget:
        patroni.synchronous_mode === true
          ? 'RPO 0, judged: synchronous_mode is on'
          : 'reported, not judged: the spec promises RPO 0 only with synchronous replication',
    };
  },
});
