// What a MinIO drill reads of the system's state, on whatever platform it runs: every node up with
// write quorum, and every object of a bucket on every node's drive (healing complete).
import { actionsOf } from '../../platform/call-action.ts';
import type { Platform } from '../../platform/platform.ts';
import type { MinioActions } from './actions.ts';
import { COMPONENT, listKeys, type S3Client } from './client.ts';
import { WRITE_QUORUM } from './health.ts';

/** The 4 nodes up, each seeing write quorum. */
export async function allNodesUp(platform: Platform): Promise<boolean> {
  const h = await platform.health(COMPONENT);
  return h.length === 4 && h.every((m) => m.up && m.detail.includes(WRITE_QUORUM));
}

/** Every object of the primary's bucket (all of it, not only this run's) on every node's drive. */
export async function unhealed(
  platform: Platform,
  c: S3Client,
  bucket: string,
): Promise<{ member: string; missing: string[] }[]> {
  const action = actionsOf<MinioActions>(platform, COMPONENT);
  const keys = await listKeys(c, bucket);
  const out = [];
  for (const m of platform.members(COMPONENT)) {
    const present = new Set(await action('drive-objects', { member: m.name, bucket }));
    const missing = keys.filter((k) => !present.has(k));
    if (missing.length) out.push({ member: m.name, missing });
  }
  return out;
}
