// What the MinIO platform actions (Platform.action) take and return: the contract between the
// drivers that reach MinIO's drives and DR site (local sandbox, …) and the drills that call them
// through actionsOf<MinioActions>(platform, 'minio').
import type { MirrorStatus } from './mirror-status.ts';

export type { MirrorCycle, MirrorStatus } from './mirror-status.ts';

/** A member named by its name ("minio-3") or its index. */
export type MemberArg = string | number;

/** Nothing to pass. */
type NoArgs = Record<string, never>;

/** The DR site: its S3 endpoint, how it is kept in step, its processes and its mirror's status. */
export interface DrStatus {
  s3: string;
  mirror: string;
  mirrorIntervalMs: number;
  /** Where the mirror writes its status (the platform's business; informative). */
  statusFile: string;
  running: { name: string; running: boolean }[];
  /** null until the mirror has written its first status. */
  status: MirrorStatus | null;
}

/**
 * Every MinIO action a driver offers, with its arguments and its result. A type, not an
 * interface: only a type literal is assignable to ActionMap's index signature.
 */
export type MinioActions = {
  /** The DR site's endpoint and its mirror's status (the last cycles), or null without one. */
  'dr-status': { args: NoArgs; result: DrStatus | null };
  /** The object keys of `bucket` present on one node's drive, sorted. */
  'drive-objects': { args: { member: MemberArg; bucket: string }; result: string[] };
  /** Removes everything on a stopped node's drive (the "drive replaced" fault), .minio.sys included. */
  'wipe-drive': { args: { member: MemberArg }; result: { member: string; drive: string; removed: string[] } };
};
