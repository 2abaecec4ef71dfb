// Copying objects between two MinIO deployments: the DR mirror's cycle (primary → DR site) and the
// site restore (DR site → primary) are the same copy — every object the target lacks, never a
// delete.
import type { Platform } from '../../platform/platform.ts';
import { createBucket, getObject, listObjects, putObject, s3For, type S3Client } from './client.ts';

export interface CopyOptions {
  /** Copies in flight (the copy is bound by round trips for small objects, not bandwidth). */
  concurrency: number;
  /** Also copy an object the target holds with another ETag (the mirror); else by key only. */
  byEtag: boolean;
}

/** Copies every object of `bucket` that `to` lacks from `from`. `objects`: what `from` holds. */
export async function copyMissing(
  from: S3Client,
  to: S3Client,
  bucket: string,
  opts: CopyOptions,
): Promise<{ copied: number; objects: number }> {
  const [have, want] = await Promise.all([listObjects(to, bucket), listObjects(from, bucket)]);
  const todo = [...want].filter(([key, etag]) => (opts.byEtag ? have.get(key) !== etag : !have.has(key)));
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < todo.length) {
        const [key] = todo[next++]!;
        const obj = await getObject(from, bucket, key);
        await putObject(to, bucket, key, obj.body, obj.contentType);
      }
    }),
  );
  return { copied: todo.length, objects: want.size };
}

/**
 * The site restore: every object of the DR site's `bucket` that the primary lacks, copied back
 * (idempotent: a second run copies what is still missing).
 */
export async function restoreFromDr(
  platform: Platform,
  bucket: string,
  drEndpoint: string,
): Promise<{ copied: number; ms: number }> {
  const started = Date.now();
  const primary = s3For(platform, undefined, 10_000);
  const dr = s3For(platform, drEndpoint, 10_000);
  try {
    await createBucket(primary, bucket, { ifMissing: true });
    // 16 copies in flight: the restore is bound by round trips, not bandwidth (small objects).
    const { copied } = await copyMissing(dr, primary, bucket, { concurrency: 16, byEtag: false });
    return { copied, ms: Date.now() - started };
  } finally {
    primary.destroy();
    dr.destroy();
  }
}
