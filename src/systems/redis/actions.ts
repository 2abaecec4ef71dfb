// What the Redis platform actions (Platform.action) take and return: the contract between the
// drivers that reach Redis's data directory and backups (local sandbox, …) and the drills that call
// them through actionsOf<RedisActions>(platform, 'redis'). The sandbox runs one member, redis-0.

/** A member named by its name ("redis-0") or its index; default: the only one. */
export type MemberArg = string | number;

/** One RDB snapshot kept as a backup, outside the server's data directory. */
export interface RedisBackup {
  /** The backup's file name in the backup location, e.g. "20261201T180838123Z.rdb". */
  name: string;
  /** Where backups are kept (the platform's business; informative). */
  location: string;
  bytes: number;
  sha256: string;
  /** When BGSAVE was asked for (epoch ms): writes acknowledged before it are in the snapshot. */
  requestedAt: number;
  /**
   * When the server answered that the background save started (epoch ms): the fork, the instant
   * the snapshot holds the dataset of. Writes acknowledged after it are not in the snapshot.
   */
  snapshotAt: number;
  /** When the snapshot was complete on disk and copied to the backup location. */
  keptAt: number;
}

export interface WipeResult {
  member: string;
  dir: string;
  removed: string[];
}

export interface RestoreResult {
  member: string;
  backup: RedisBackup;
  /** The files written into the data directory: dump.rdb, and with AOF on the log's base and manifest. */
  written: string[];
  ms: number;
}

/** A type, not an interface: only a type literal is assignable to ActionMap's index signature. */
export type RedisActions = {
  /** BGSAVE on the running server, then the snapshot copied to the backup location. */
  backup: { args: { member?: MemberArg }; result: RedisBackup };
  /** Every kept backup, oldest first. */
  backups: { args: { member?: MemberArg }; result: RedisBackup[] };
  /** The files in a member's data directory (dump.rdb, appendonlydir/…), sorted. */
  'data-files': { args: { member?: MemberArg }; result: string[] };
  /** Removes everything in a stopped member's data directory (the lost volume). */
  'wipe-data': { args: { member?: MemberArg }; result: WipeResult };
  /**
   * Puts a backup (default: the latest) into a stopped member's empty data directory, so that the
   * next start loads it — with AOF on, as the base of a new append-only log.
   */
  restore: { args: { member?: MemberArg; backup?: string }; result: RestoreResult };
};
