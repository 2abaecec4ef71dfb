// What the TimescaleDB platform actions (Platform.action) take and return: the contract between
// the drivers that run pgBackRest and Patroni (local sandbox, …) and the drills that call them.
import type { ActionMap } from '../../platform/platform.ts';
import type { ReplayEnd } from './sql.ts';

/** One pgBackRest backup set, as `pgbackrest info` describes it (instants in epoch ms). */
export interface BackupRecord {
  label: string;
  type: string;
  prior: string | null;
  startedAt: number;
  stoppedAt: number;
  /** First and last WAL segment the backup needs (e.g. 000000010000000000000005). */
  walStart: string;
  walStop: string;
  lsnStart: string;
  lsnStop: string;
  sizeBytes: number | null;
}

export interface BackupInventory {
  stanza: string;
  repoPath: string;
  status: { code: number; message: string };
  backups: BackupRecord[];
  /** Per archive id (e.g. "15-1"): the lowest and highest archived WAL segment. */
  archive: { id: string; min: string | null; max: string | null }[];
}

/** Result of the `restore` action: what was restored, and where the recovery stopped. */
export interface RestoreReport extends ReplayEnd {
  member: string;
  backup: BackupRecord | null;
  /** The archive's newest segment before the recovery started (what "latest archived WAL" means). */
  archiveMaxBefore: string | null;
  timings: { restoreMs: number; recoveryMs: number; stopMs: number };
  recoveryLog: string;
}

/** Every archived WAL segment name per archive id (e.g. "15-1"), history and .partial files apart. */
export type ArchivedWal = Record<string, { segments: string[]; partial: string[]; history: string[] }>;

/** A member named by its name ("timescaledb-1") or its index. */
export type MemberArg = string | number;

/** Nothing to pass. */
type NoArgs = Record<string, never>;

/**
 * Every TimescaleDB action a driver offers, with its arguments and its result: what
 * `actionsOf<TimescaledbActions>(platform, 'timescaledb')` checks a call against, and what the
 * local sandbox driver's actions table is typed by. (A type, not an interface: only a type
 * literal is assignable to ActionMap's index signature.)
 */
export type TimescaledbActions = {
  /** SIGKILL (or `signal`) only the postmaster of `member`; its Patroni keeps running. */
  'kill-postmaster': {
    args: { member: MemberArg; signal?: NodeJS.Signals };
    result: { member: string; pids: number[] };
  };
  /** Takes a pgBackRest backup (default incr) from the primary; returns its record. */
  backup: { args: { type?: 'full' | 'diff' | 'incr' }; result: BackupRecord };
  /** The repository's backups and archived WAL range. */
  backups: { args: NoArgs; result: BackupInventory };
  /** Every archived WAL segment name per archive id. */
  'archived-wal': { args: NoArgs; result: ArchivedWal };
  /** Removes everything in a stopped member's data directory (the "disk lost" fault). */
  'wipe-data': { args: { member: MemberArg }; result: { member: string; removed: number } };
  /** pgBackRest restore + archive recovery to the latest archived WAL into `member`. */
  restore: { args: { member: MemberArg }; result: RestoreReport };
  /** Forgets the cluster's state in the DCS (keeping its configuration), as `patronictl remove` does. */
  'forget-cluster': { args: NoArgs; result: { deleted: string[] } };
};

// The compiler checks the map against the platform contract here, not only where it is used.
type Satisfies<M extends ActionMap> = M;
export type CheckedTimescaledbActions = Satisfies<TimescaledbActions>;
