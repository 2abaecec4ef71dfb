// What the TimescaleDB platform actions (Platform.action) return: the contract between the drivers
// that run pgBackRest and Patroni (local sandbox, …) and the drills that read the results.

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
export interface RestoreReport {
  member: string;
  backup: BackupRecord | null;
  /** The archive's newest segment before the recovery started (what "latest archived WAL" means). */
  archiveMaxBefore: string | null;
  /** Commit time of the last transaction replayed (the recovery point), epoch ms. */
  lastReplayedCommitAt: number | null;
  /** Last WAL position replayed, the timeline it was on, and its segment. */
  replayLsn: string;
  replayTimeline: number;
  replaySegment: string;
  /** The timeline the restored primary continues on (a new one: recovery ended with promotion). */
  newTimeline: number;
  walSegmentSizeBytes: number;
  timings: { restoreMs: number; recoveryMs: number; stopMs: number };
  recoveryLog: string;
}

/** Every archived WAL segment name per archive id (e.g. "15-1"), history and .partial files apart. */
export type ArchivedWal = Record<string, { segments: string[]; partial: string[]; history: string[] }>;
