// What the Milvus platform actions (Platform.action) take and return: the contract between the
// drivers that reach Milvus's storage (local sandbox, …) and the drills that call them through
// actionsOf<MilvusActions>(platform, 'milvus').

/** Nothing to pass. */
type NoArgs = Record<string, never>;

/** One index file in Milvus's storage: index_files/<build>/<version>/<partition>/<segment>/<file>. */
export interface IndexFile {
  path: string;
  buildId: string;
  partitionId: string;
  segmentId: string;
  file: string;
  bytes: number;
  sha256: string;
}

/** A crash-consistent copy of Milvus's whole storage root. */
export interface Snapshot {
  label: string;
  path: string;
  /** When Milvus was paused for the copy (the recovery point of a restore), epoch ms. */
  at: number;
  pausedMs: number;
  bytes: number;
}

/**
 * Every Milvus action a driver offers, with its arguments and its result. A type, not an
 * interface: only a type literal is assignable to ActionMap's index signature.
 */
export type MilvusActions = {
  /** The index files of the given segments (all segments without), each with its size and SHA-256. */
  'index-files': { args: { segments?: (string | number)[] }; result: IndexFile[] };
  /** Overwrites files (in Milvus's storage only) in place with random bytes of the same length. */
  'overwrite-files': { args: { paths: string[] }; result: { path: string; bytes: number; sha256: string }[] };
  /** Pauses Milvus, copies its storage root, resumes it. */
  snapshot: { args: { label?: string }; result: Snapshot };
  /**
   * Resumes Milvus's processes (SIGCONT) after a pause that may not have ended (a worker died
   * inside the snapshot). Harmless when they run; `resumed` is false when Milvus is not running.
   */
  resume: { args: NoArgs; result: { member: string; resumed: boolean } };
  /** The labels of the snapshots taken, sorted. */
  snapshots: { args: NoArgs; result: string[] };
  /** Removes Milvus's whole storage root (the "volume lost" fault). Milvus must be stopped. */
  'wipe-data': { args: NoArgs; result: { root: string; removed: string[] } };
  /** Replaces Milvus's storage root with a snapshot. Milvus must be stopped. */
  'restore-snapshot': { args: { label: string }; result: { label: string; root: string; ms: number } };
};
