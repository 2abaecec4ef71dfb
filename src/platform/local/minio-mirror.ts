// The sandbox's MinIO DR-site mirror: every interval, copies each object of the primary site that
// the DR site lacks (never deletes), like `mc mirror --watch` without --remove. Asynchronous by
// construction: what the primary acknowledged after a cycle's listing waits for the next cycle —
// the replication backlog a site loss can lose. Writes its status (the last cycles: when each
// listing began and when the cycle completed) to a JSON file, so a drill can tell the recovery point.
// The copy itself is the MinIO room's (src/systems/minio/copy.ts), the one the site restore uses.
//
//   node --import tsx minio-mirror.ts <status.json>
//   env: MIRROR_SOURCE (comma-separated node URLs), MIRROR_TARGET, MIRROR_ACCESS_KEY,
//        MIRROR_SECRET_KEY, MIRROR_INTERVAL_MS
import { writeFileSync, renameSync } from 'node:fs';
import { bucketNames, createBucket, s3Client } from '../../systems/minio/client.ts';
import { copyMissing } from '../../systems/minio/copy.ts';
import type { MirrorStatus } from '../../systems/minio/mirror-status.ts';

const statusFile = process.argv[2]!;
const sources = process.env.MIRROR_SOURCE!.split(',');
const access = {
  accessKeyId: process.env.MIRROR_ACCESS_KEY!,
  secretAccessKey: process.env.MIRROR_SECRET_KEY!,
};
const intervalMs = Number(process.env.MIRROR_INTERVAL_MS ?? 3_000);
const s3 = (endpoint: string) => s3Client({ endpoint, ...access }, 5_000);
const target = s3(process.env.MIRROR_TARGET!);
const sourceClients = sources.map(s3);

const status: MirrorStatus = {
  intervalMs,
  cycles: [],
  lastError: null,
  lastErrorAt: null,
  copiedTotal: 0,
};
const save = () => {
  writeFileSync(`${statusFile}.tmp`, JSON.stringify(status));
  renameSync(`${statusFile}.tmp`, statusFile);
};

async function cycle(): Promise<void> {
  const listedAt = Date.now();
  let lastErr: unknown;
  for (const src of sourceClients) {
    try {
      let copied = 0;
      let objects = 0;
      for (const name of await bucketNames(src)) {
        await createBucket(target, name).catch(() => undefined);
        // One copy at a time, an object whose ETag differs copied again: the mirror's pace is its backlog.
        const r = await copyMissing(src, target, name, { concurrency: 1, byEtag: true });
        copied += r.copied;
        objects += r.objects;
      }
      status.copiedTotal += copied;
      status.cycles.push({ listedAt, completedAt: Date.now(), copied, objects });
      status.cycles = status.cycles.slice(-200);
      save();
      return;
    } catch (err) {
      lastErr = err; // that node may be down: try the next one
    }
  }
  status.lastError = String((lastErr as Error)?.message ?? lastErr);
  status.lastErrorAt = Date.now();
  save();
}

save();
for (;;) {
  const started = Date.now();
  await cycle();
  await new Promise((r) => setTimeout(r, Math.max(0, started + intervalMs - Date.now())));
}
