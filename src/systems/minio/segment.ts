// The MinIO ledger's segment objects: records written the way SLO-Scout's Flink file sink archives
// logs to MinIO — many records per object (one JSON line per record, acknowledged by one PUT). One
// object per record would measure MinIO's PUT ceiling on small hosts, not the recovery.
import { createHash } from 'node:crypto';
import type { LedgerRecord } from '../../drill/definition.ts';
import type { ReadBackRecord } from '../../measure/types.ts';
import { getBytes, listKeys, putObject, type S3Client } from './client.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Records per segment object (ledger.batch): enough for ≥ 1,000 records/s at MinIO's PUT rate here. */
export const SEGMENT_RECORDS = 32;

/** A segment's key: its first record's key, so a run's segments list under the run's prefix. */
export const segmentKey = (records: LedgerRecord[]) => `${records[0]!.key}.seg${records.length}.jsonl`;

/** A segment's body: one JSON line per record, its payload in base64. */
export const segmentBody = (records: LedgerRecord[]) =>
  records.map((r) => JSON.stringify({ key: r.key, payload: r.payload.toString('base64') }) + '\n').join('');

/**
 * The records of a segment, each with its payload's SHA-256. A line that does not parse is
 * returned as a damaged record under the segment's key: never written, so it classifies as
 * unexpected, and the records it held as lost — damage is reported, never skipped.
 */
export function parseSegment(key: string, body: Uint8Array): ReadBackRecord[] {
  return Buffer.from(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, i) => {
      try {
        const r = JSON.parse(line) as { key?: unknown; payload?: unknown };
        if (typeof r.key !== 'string' || typeof r.payload !== 'string') throw new Error('not a record');
        return { key: r.key, sha256: sha256(Buffer.from(r.payload, 'base64')) };
      } catch {
        return { key: `${key}#line${i + 1}`, sha256: sha256(Buffer.from(line)) };
      }
    });
}

/** One PUT acknowledges every record of the segment, or none. Position: segment key and ETag. */
export async function putSegment(
  c: S3Client,
  bucket: string,
  records: LedgerRecord[],
): Promise<{ position: string }[]> {
  const key = segmentKey(records);
  const etag = await putObject(c, bucket, key, segmentBody(records));
  return records.map(() => ({ position: `${key} ${etag}` }));
}

/** Every record of every segment object under `prefix`, read 16 objects at a time. */
export async function readSegments(c: S3Client, bucket: string, prefix: string): Promise<ReadBackRecord[]> {
  const out: ReadBackRecord[] = [];
  const keys = await listKeys(c, bucket, prefix);
  for (let i = 0; i < keys.length; i += 16) {
    await Promise.all(
      keys.slice(i, i + 16).map(async (key) => {
        out.push(...parseSegment(key, await getBytes(c, bucket, key)));
      }),
    );
  }
  return out;
}
