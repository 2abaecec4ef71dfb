// What the DR mirror reports after each cycle: written by the mirror process, read back through the
// `dr-status` action to tell a site restore's recovery point.

/** One mirror cycle: when its listing of the primary began and when every copy of it was done. */
export interface MirrorCycle {
  listedAt: number;
  completedAt: number;
  copied: number;
  objects: number;
}

export interface MirrorStatus {
  intervalMs: number;
  /** The last cycles completed, oldest first. */
  cycles: MirrorCycle[];
  lastError: string | null;
  lastErrorAt: number | null;
  copiedTotal: number;
}

/**
 * The recovery point of a site restore: the listing time of the last mirror cycle completed before
 * T0 (everything listed then is at the DR site). Without T0, the last cycle; null without one.
 */
export function lastMirroredListing(status: MirrorStatus | null | undefined, t0?: number): number | null {
  const before = (status?.cycles ?? []).filter((c) => t0 === undefined || c.completedAt <= t0);
  return before.at(-1)?.listedAt ?? null;
}
