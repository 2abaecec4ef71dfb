// What a restore from an RDB snapshot must have kept and lost, judged record by record. Pure.
//
// A snapshot holds the dataset at the fork BGSAVE makes. Redis runs commands one at a time, so each
// acknowledged write was executed either before the fork (in the snapshot) or after it (not):
// - acknowledged before BGSAVE was even asked for → executed before the fork → must survive;
// - sent after the server answered BGSAVE (the fork had happened) and acknowledged by T0 → executed
//   after the fork, before the fault → must be lost (nothing else holds it once the disk is gone);
// - the writes in between (in flight across the fork) may be either: counted, never judged.
// Writes acknowledged after T0 belong to the restored server's new history and are not counted.
import type { LedgerEntry, ReadBackRecord } from '../../measure/types.ts';

export interface SnapshotWindow {
  /** BGSAVE asked for (epoch ms). */
  requestedAt: number;
  /** BGSAVE answered: the fork happened before this (epoch ms). */
  snapshotAt: number;
}

export interface SnapshotCut {
  /** T0 − snapshotAt: how old the snapshot was when the data was lost (ms). */
  snapshotAgeMs: number;
  /** Acknowledged before the snapshot was asked for. */
  before: { acked: number; kept: number; lost: number };
  /** Sent after the snapshot and acknowledged by T0. */
  after: { acked: number; kept: number; lost: number };
  /** Acknowledged writes in flight across the fork (either outcome is right). */
  acrossFork: number;
  /** Every write before the snapshot kept, every write after it (to T0) lost. */
  exact: boolean;
}

/** Compares each acknowledged ledger entry up to T0 with what the restored server holds intact. */
export function snapshotCut(
  entries: readonly LedgerEntry[],
  readBack: readonly ReadBackRecord[],
  snapshot: SnapshotWindow,
  t0: number,
): SnapshotCut {
  const intact = new Set(readBack.map((r) => `${r.key}\0${r.sha256}`));
  const cut: SnapshotCut = {
    snapshotAgeMs: t0 - snapshot.snapshotAt,
    before: { acked: 0, kept: 0, lost: 0 },
    after: { acked: 0, kept: 0, lost: 0 },
    acrossFork: 0,
    exact: true,
  };
  for (const e of entries) {
    if (e.outcome !== 'ok' || e.tAck === undefined || e.tAck > t0) continue;
    const side =
      e.tAck < snapshot.requestedAt ? cut.before : e.tInvoke > snapshot.snapshotAt ? cut.after : undefined;
    if (!side) {
      cut.acrossFork++;
      continue;
    }
    side.acked++;
    if (intact.has(`${e.key}\0${e.sha256}`)) side.kept++;
    else side.lost++;
  }
  cut.exact = cut.before.lost === 0 && cut.after.kept === 0;
  return cut;
}
