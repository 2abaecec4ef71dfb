// The MinIO room's pure knowledge: what a storage class means for quorum, and which mirror cycle a
// site restore recovers to.
import { describe, expect, it } from 'vitest';
import { erasureLayout } from '../../src/systems/minio/erasure.ts';
import { lastMirroredListing, type MirrorStatus } from '../../src/systems/minio/mirror-status.ts';

describe('MinIO erasure layout', () => {
  it('EC:2 on 4 drives: read quorum 2, write quorum 3 (data = parity adds one)', () => {
    expect(erasureLayout('EC:2', 4)).toEqual({
      storageClass: 'EC:2',
      drives: 4,
      parity: 2,
      writeQuorum: 3,
      readQuorum: 2,
    });
  });

  it("falls back to MinIO's default parity and refuses what cannot be", () => {
    expect(erasureLayout(undefined, 4).storageClass).toBe('EC:2');
    expect(erasureLayout(undefined, 8)).toMatchObject({ parity: 4, writeQuorum: 5, readQuorum: 4 });
    expect(() => erasureLayout('EC:3', 4)).toThrow(/at least 6 drives/);
    expect(() => erasureLayout('RRS', 4)).toThrow(/EC:<parity>/);
  });
});

describe('site restore recovery point', () => {
  const status: MirrorStatus = {
    intervalMs: 3_000,
    cycles: [
      { listedAt: 100, completedAt: 150, copied: 1, objects: 1 },
      { listedAt: 200, completedAt: 260, copied: 2, objects: 3 },
      { listedAt: 300, completedAt: 390, copied: 0, objects: 3 },
    ],
    lastError: null,
    lastErrorAt: null,
    copiedTotal: 3,
  };

  it('is the listing time of the last cycle completed before T0', () => {
    expect(lastMirroredListing(status, 300)).toBe(200);
    expect(lastMirroredListing(status, 260)).toBe(200);
    expect(lastMirroredListing(status, 149)).toBeNull();
    expect(lastMirroredListing(status)).toBe(300);
    expect(lastMirroredListing(null, 1_000)).toBeNull();
  });
});
