// TimescaleDB restore from pgBackRest. Runbook: "Database restore" (seed, Disaster Recovery:
// daily full + hourly incremental backups kept 30 days, RTO 1 h, RPO 1 h).
//
// Before the fault: a full backup must already exist (the nightly schedule's; the drill refuses
// without one), the drill takes the hourly incremental while the ledger writes, and the ledger
// keeps writing after it — longer than archive_timeout by default, so that the newest writes are
// in archived WAL, not in any backup. WAL is archived continuously to the same repository.
//
// Fault: the cluster's data is destroyed — every member stopped (SIGKILL), every data directory
// removed. Restore: pgBackRest restores the latest backup set into the old primary's directory and
// PostgreSQL replays the archived WAL to its end (outside Patroni), then Patroni adopts the result
// as a new cluster's primary and re-seeds the replicas from it.
//
// Measured: RTO (service: the restored primary accepts writes; full: both replicas stream again),
// RPO twice — from the ledger (acknowledged writes missing after the restore) and from the recovery
// point (the commit time of the last replayed transaction) — which must agree, and the WAL
// continuity from the backup to where replay stopped (no missing segment in between).
import { defineDrill, type DrillEnv, type Fault } from '../src/drill/definition.ts';
import { ledgerStillWriting, membersDown, sleepWhileWriting } from '../src/drill/observe.ts';
import type { ArchivedWal, BackupRecord, RestoreReport } from '../src/systems/timescaledb/actions.ts';
import {
  healCluster,
  patroniOf,
  primaryClientSteps,
  timescaledbActions,
  type PgState,
} from '../src/systems/timescaledb/drill-steps.ts';
import {
  ensureSchema,
  LEDGER_TABLE_FILE,
  serverSettings,
  type LedgerTableInfo,
} from '../src/systems/timescaledb/ledger.ts';
import { COMPONENT } from '../src/systems/timescaledb/names.ts';
import { failoverSettings } from '../src/systems/timescaledb/patroni.ts';
import { lookAtCluster, lookUntilServing, revertPlan } from '../src/systems/timescaledb/serving.ts';
import { segmentRange, segmentTimeline } from '../src/systems/timescaledb/wal.ts';
import { FAULT_CONFIRMED } from '../src/measure/types.ts';
import { UserError } from '../src/util/errors.ts';

interface WalContinuity {
  timeline: number;
  from: string;
  to: string;
  expected: number;
  missing: string[];
  /** No segment missing between the backup's first segment and the one replay ended in. */
  gapFree: boolean;
  /** Replay ended in the newest segment the archive held (the "latest archived WAL"). */
  reachedArchiveEnd: boolean;
  /** The recovery point lies after the backup finished: WAL, not the backup alone, carried it. */
  beyondBackup: boolean;
  note?: string;
}

interface RestoreFault extends Fault {
  /** The primary at the fault: the member restored into. */
  primary: string;
  members: string[];
  /** The latest backup before the fault. */
  backup: BackupRecord;
  at: number;
}

const RESTORE_FILE = 'restore.json';

/** WAL continuity from the backup's first segment to the segment replay ended in. */
function walContinuity(report: RestoreReport, backup: BackupRecord, archived: ArchivedWal): WalContinuity {
  const timeline = report.replayTimeline;
  const base = {
    timeline,
    from: backup.walStart,
    to: report.replaySegment,
    reachedArchiveEnd: report.archiveMaxBefore !== null && report.replaySegment >= report.archiveMaxBefore,
    beyondBackup: (report.lastReplayedCommitAt ?? 0) > backup.stoppedAt,
  };
  if (segmentTimeline(backup.walStart) !== timeline) {
    return {
      ...base,
      expected: 0,
      missing: [],
      gapFree: false,
      note: `the backup is on timeline ${segmentTimeline(backup.walStart)}, replay ended on ${timeline}: not checked`,
    };
  }
  const present = new Set(Object.values(archived).flatMap((a) => a.segments));
  const expected = segmentRange(timeline, backup.walStart, report.replaySegment, report.walSegmentSizeBytes);
  const missing = expected.filter((s) => !present.has(s));
  return { ...base, expected: expected.length, missing, gapFree: missing.length === 0 };
}

/** Looks at the cluster over a window and says, in a log line, what the step will do and why. */
async function lookBeforeRestoring(env: DrillEnv, step: string): Promise<'nothing' | 'heal' | 'restore'> {
  const seen = await lookUntilServing(() => lookAtCluster(env));
  const plan = revertPlan(seen);
  const log = plan === 'restore' ? env.log.warn : env.log.info;
  log.call(
    env.log,
    { step, plan, looks: seen.looks, elapsedMs: seen.elapsedMs, last: seen.last.summary },
    seen.why,
  );
  return plan;
}

const readRestore = (env: DrillEnv) =>
  env.evidence.read<RestoreReport & { continuity?: WalContinuity }>(RESTORE_FILE) ?? null;

/**
 * The restore runbook, idempotent: stop every member, clear the replicas' directories (they are
 * re-seeded), restore the latest backup and replay the archived WAL into `target`, make Patroni
 * forget the lost cluster, start `target` (Patroni adopts its data: the new primary), then the
 * replicas (Patroni clones them from it).
 */
async function restoreRunbook(env: DrillEnv, target: string): Promise<void> {
  const action = timescaledbActions(env.platform);
  const members = env.platform.members(COMPONENT);
  for (const m of members) await env.platform.kill(COMPONENT, m.index, 'SIGKILL');
  for (const m of members) if (m.name !== target) await action('wipe-data', { member: m.name });
  env.mark(
    'restore-started',
    `pgBackRest restore of the latest backup into ${target}, then archive recovery to the end of the archived WAL`,
  );
  const report = await action('restore', { member: target });
  const archived = await action('archived-wal');
  const continuity = report.backup ? walContinuity(report, report.backup, archived) : undefined;
  env.evidence.write(RESTORE_FILE, { ...report, continuity });
  const point = report.lastReplayedCommitAt
    ? new Date(report.lastReplayedCommitAt).toISOString()
    : 'none replayed';
  env.mark(
    'recovered',
    `backup ${report.backup?.label}; replayed to ${report.replayLsn} (segment ${report.replaySegment}), last commit ${point}; restore ${report.timings.restoreMs} ms, replay ${report.timings.recoveryMs} ms`,
  );
  if (continuity) {
    env.mark(
      'wal-continuity',
      continuity.note ??
        `${continuity.expected} segments ${continuity.from}..${continuity.to} on timeline ${continuity.timeline}: ${continuity.missing.length ? `MISSING ${continuity.missing.join(', ')}` : 'none missing'}${continuity.reachedArchiveEnd ? ', to the end of the archive' : ', NOT to the end of the archive'}`,
    );
  }
  await action('forget-cluster');
  await env.platform.restart(COMPONENT, target);
  env.mark('primary-up', `${target} runs as the restored cluster's primary`);
  await env.platform.restart(COMPONENT);
  env.mark('replicas-reseeded', 'the replicas were cloned from the restored primary');
}

export default defineDrill<PgState>({
  name: 'timescaledb-restore',
  title: 'TimescaleDB restore from pgBackRest (data destroyed)',
  hypothesis:
    "After the cluster's data is destroyed, pgBackRest restores the latest backup and replays the archived WAL within 1 h; the restored primary accepts writes, the replicas stream again, and at most the writes after the last archived WAL segment (≤ archive_timeout) are lost — well within RPO 1 h.",
  target: { component: COMPONENT, scenario: 'restore' },
  variants: {
    'data-loss': {
      description:
        'stop every member and remove every data directory; restore the latest backup + archived WAL',
    },
  },
  defaultVariant: 'data-loss',
  options: {
    incremental: {
      type: 'boolean',
      default: true,
      description:
        'take an incremental backup (the hourly schedule) while the ledger writes, just before the fault',
    },
    'writes-after-backup': {
      type: 'duration',
      default: '75s',
      max: '4m', // the injection step has 5 min
      description:
        'how long the ledger keeps writing after the last backup before the fault; longer than archive_timeout (60 s) puts writes in archived WAL only',
    },
  },
  // One writer, so that commit order is acknowledgement order: the recovery point then cuts the
  // ledger into an exact prefix (see timescaledb-failover).
  ledger: { concurrency: 1, minAckedBeforeFault: 200 },
  needs: [COMPONENT],
  requires: {
    capabilities: ['kill', 'restart', 'actions'],
    actions: ['archived-wal', 'backup', 'backups', 'forget-cluster', 'restore', 'wipe-data'],
  },
  remediateAfterMs: () => 0,

  ...primaryClientSteps,

  async preflight(env, s) {
    const inventory = await timescaledbActions(env.platform)('backups');
    if (!inventory.backups.length) {
      throw new UserError(
        `no pgBackRest backup of stanza "${inventory.stanza}" exists in ${inventory.repoPath} (${inventory.status.message}): there is nothing to restore from`,
        'take a full backup first, as the nightly schedule does (`pgbackrest --stanza=timescaledb backup --type=full`)',
      );
    }
    if (!inventory.archive.some((a) => a.max)) {
      throw new UserError(
        `the WAL archive of stanza "${inventory.stanza}" is empty: archiving does not work, so no restore could go past a backup`,
      );
    }
    const h = await s.patroni.health().catch((err: Error) => {
      throw new UserError(`cannot read the state of the ${COMPONENT} cluster from Patroni: ${err.message}`);
    });
    if (!h.healthy)
      throw new UserError(
        `the ${COMPONENT} cluster is not healthy (${h.summary})`,
        'a restore drill starts from a healthy cluster',
      );
    env.evidence.write(LEDGER_TABLE_FILE, await ensureSchema(s));
  },

  async inject(env, s): Promise<RestoreFault> {
    const action = timescaledbActions(env.platform);
    let backup = (await action('backups')).backups.at(-1)!;
    if (env.options.boolean('incremental')) {
      env.mark('backup-started', 'incremental backup (the hourly schedule), the ledger writing');
      backup = await action('backup', { type: 'incr' });
      env.mark(
        'backup-done',
        `${backup.label} (${backup.type}, WAL ${backup.walStart}..${backup.walStop})`,
        backup.stoppedAt,
      );
    }
    await sleepWhileWriting(env, env.options.number('writes-after-backup'));
    const h = await s.patroni.health();
    if (!h.leader) throw new Error(`no running primary at injection time (${h.summary})`);
    const members = env.platform.members(COMPONENT);
    const fault: RestoreFault = {
      description: `destroy the cluster's data: SIGKILL ${members.map((m) => m.name).join(', ')} and remove their data directories (primary ${h.leader}; last backup ${backup.label})`,
      touched: members.map((m) => `${COMPONENT}/${m.name}`),
      primary: h.leader,
      members: members.map((m) => m.name),
      backup,
      at: Date.now(),
    };
    await ledgerStillWriting(env); // not aborted while waiting: fire now
    await env.fire(fault, async () => {
      for (const m of members) await env.platform.kill(COMPONENT, m.index, 'SIGKILL');
      for (const m of members) await action('wipe-data', { member: m.name });
    });
    return fault;
  },

  async confirm(env, _s, fault) {
    const f = fault as RestoreFault;
    const down = await membersDown(env, COMPONENT, f.members);
    const primary = await patroniOf(env.platform)
      .primary(undefined, 500)
      .then(
        (p) => p.member,
        () => undefined,
      );
    if (primary) throw new Error(`${primary} still answers GET /primary 200`);
    return `every member down and no primary: ${down}`;
  },

  async remediate(env, fault) {
    const f = fault as RestoreFault;
    // The restore starts at once only on a cluster seen destroyed and not yet restored (waiting
    // would add to the RTO). A retry after a restore began, or a fault never confirmed, looks
    // first, like the revert: a cluster that serves only gets its replicas re-seeded.
    const seen = new Set(env.evidence.markers().map((m) => m.marker));
    const destroyed = seen.has(FAULT_CONFIRMED) && !seen.has('restore-started');
    if (!destroyed && (await lookBeforeRestoring(env, 'remediation')) !== 'restore')
      await env.platform.restart(COMPONENT);
    else await restoreRunbook(env, f.primary);
  },

  async fullyRecovered(_env, s) {
    return (await s.patroni.health()).healthy;
  },

  async revert(env, fault) {
    const f = fault as RestoreFault;
    // Idempotent, and it looks before destroying: the restore kills and wipes, so it runs only for
    // a cluster that has not served its data over a whole window (one slow probe is not "gone").
    const plan = await lookBeforeRestoring(env, 'revert');
    if (plan === 'nothing') return;
    if (plan === 'restore') await restoreRunbook(env, f.primary ?? env.platform.members(COMPONENT)[0]!.name);
    await healCluster(env);
  },

  async recoveryPoint(env, _s, fault) {
    const r = readRestore(env);
    if (!r) return null;
    // Nothing replayed after the backup: the backup's end is the recovery point.
    return r.lastReplayedCommitAt ?? r.backup?.stoppedAt ?? (fault as RestoreFault).backup?.stoppedAt ?? null;
  },

  async config(env, s) {
    const patroni = await failoverSettings(s.patroni).catch((err: Error) => ({ error: err.message }));
    const server = await serverSettings(s).catch((err: Error) => ({ error: err.message }));
    const inventory = await timescaledbActions(env.platform)('backups').catch((err: Error) => ({
      error: err.message,
    }));
    const info = env.platform.info(COMPONENT);
    const restore = readRestore(env);
    return {
      archive_timeout:
        (server as Record<string, unknown>).archive_timeout ??
        (patroni as Record<string, unknown>).archive_timeout,
      archive_mode: (server as Record<string, unknown>).archive_mode,
      pgbackrest: {
        ...(inventory as object),
        retentionFullDays:
          (info.pgbackrest as { retentionFullDays?: number } | undefined)?.retentionFullDays ?? null,
        schedule: 'seed: daily full + hourly incremental (the drill takes the incremental itself)',
      },
      restore: restore ?? null,
      walContinuity: restore?.continuity ?? null,
      patroni,
      server,
      ledgerTable: env.evidence.read<LedgerTableInfo>(LEDGER_TABLE_FILE) ?? null,
      incremental: env.options.values.incremental,
      writesAfterBackupMs: env.options.values['writes-after-backup'],
    };
  },
});
