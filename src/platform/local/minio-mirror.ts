// The sandbox's MinIO DR-site mirror: every interval, copies each object of the primary site that
// the DR site lacks (never deletes), like `mc mirror --watch` without --remove. Asynchronous by
// construction: what the primary acknowledged after a cycle's listing waits for the next cycle —
// the replication backlog a site loss can lose. Writes its status (the last cycles: when each
// listing began and when the cycle completed) to a JSON file, so a drill can tell the recovery point.
//
//   node --import tsx minio-mirror.ts <status.json>
//   env: MIRROR_SOURCE (comma-separated node URLs), MIRROR_TARGET, MIRROR_ACCESS_KEY,
//        MIRROR_SECRET_KEY, MIRROR_INTERVAL_MS
import { writeFileSync, renameSync } from 'node:fs';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

const statusFile = process.argv[2]!;
const sources = process.env.MIRROR_SOURCE!.split(',');
const credentials = {
  accessKeyId: process.env.MIRROR_ACCESS_KEY!,
  secretAccessKey: process.env.MIRROR_SECRET_KEY!,
};
const intervalMs = Number(process.env.MIRROR_INTERVAL_MS ?? 3_000);
const s3 = (endpoint: string) =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
    requestHandler: { requestTimeout: 5_000, throwOnRequestTimeout: true } as never, // else it only warns
  });
const target = s3(process.env.MIRROR_TARGET!);
const sourceClients = sources.map(s3);

interface Cycle {
  listedAt: number;
  completedAt: number;
  copied: number;
  objects: number;
}
const status = {
  intervalMs,
  cycles: [] as Cycle[],
  lastError: null as string | null,
  lastErrorAt: null as number | null,
  copiedTotal: 0,
};
const save = () => {
  writeFileSync(`${statusFile}.tmp`, JSON.stringify(status));
  renameSync(`${statusFile}.tmp`, statusFile);
};

async function listAll(c: S3Client, bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const r = await c.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.set(o.Key!, o.ETag ?? '');
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function cycle(): Promise<void> {
  const listedAt = Date.now();
  let lastErr: unknown;
  for (const src of sourceClients) {
    try {
      const buckets = (await src.send(new ListBucketsCommand({}))).Buckets ?? [];
      let copied = 0;
      let objects = 0;
      for (const b of buckets) {
        const name = b.Name!;
        await target.send(new CreateBucketCommand({ Bucket: name })).catch(() => undefined);
        const [have, want] = await Promise.all([listAll(target, name), listAll(src, name)]);
        objects += want.size;
        for (const [key, etag] of want) {
          if (have.get(key) === etag) continue;
          const obj = await src.send(new GetObjectCommand({ Bucket: name, Key: key }));
          const body = await obj.Body!.transformToByteArray();
          await target.send(
            new PutObjectCommand({ Bucket: name, Key: key, Body: body, ContentType: obj.ContentType }),
          );
          copied++;
        }
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
