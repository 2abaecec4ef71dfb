// The one S3 client of MinIO, for the drills, the sandbox's DR mirror and the DR copy alike: one
// attempt per request and a hard request timeout, so a refused write shows up as refused instead
// of being retried into a timeout.
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { Platform } from '../../platform/platform.ts';

export const COMPONENT = 'minio';

export type { S3Client };

export interface S3Access {
  endpoint: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function s3Client(access: S3Access, timeoutMs = 2_000): S3Client {
  return new S3Client({
    endpoint: access.endpoint,
    region: access.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
    // One attempt: a refused write must show up as refused, not be retried into a timeout.
    maxAttempts: 1,
    // Without throwOnRequestTimeout the SDK only logs a warning and keeps waiting.
    requestHandler: { requestTimeout: timeoutMs, throwOnRequestTimeout: true } as never,
  });
}

/** A client for the platform's MinIO (its S3 endpoint, or `endpoint`), as the root user it reports. */
export function s3For(platform: Platform, endpoint?: string, timeoutMs = 2_000): S3Client {
  const info = platform.info(COMPONENT);
  return s3Client(
    {
      endpoint: endpoint ?? platform.endpoints(COMPONENT).s3!,
      region: String(info.region ?? 'us-east-1'),
      accessKeyId: String(info.rootUser),
      secretAccessKey: String(info.rootPassword),
    },
    timeoutMs,
  );
}

/** Every object of `bucket` under `prefix`: key → ETag, in listing order. */
export async function listObjects(c: S3Client, bucket: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const r = await c.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? []) out.set(o.Key!, o.ETag ?? '');
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export const listKeys = async (c: S3Client, bucket: string, prefix = ''): Promise<string[]> => [
  ...(await listObjects(c, bucket, prefix)).keys(),
];

export async function getObject(
  c: S3Client,
  bucket: string,
  key: string,
): Promise<{ body: Uint8Array; contentType?: string }> {
  const obj = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: await obj.Body!.transformToByteArray(), contentType: obj.ContentType };
}

export const getText = async (c: S3Client, bucket: string, key: string): Promise<string> =>
  Buffer.from((await getObject(c, bucket, key)).body).toString('utf8');

export const getBytes = async (c: S3Client, bucket: string, key: string): Promise<Uint8Array> =>
  (await getObject(c, bucket, key)).body;

/** PUTs one object; its ETag. */
export async function putObject(
  c: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
  contentType?: string,
): Promise<string | undefined> {
  const r = await c.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
  );
  return r.ETag;
}

export const bucketExists = (c: S3Client, bucket: string): Promise<boolean> =>
  c.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    () => false,
  );

export async function bucketNames(c: S3Client): Promise<string[]> {
  return ((await c.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!);
}

/** Creates `bucket`; with `ifMissing`, one that already exists is no error. */
export async function createBucket(
  c: S3Client,
  bucket: string,
  opts: { ifMissing?: boolean } = {},
): Promise<void> {
  await c.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: S3ServiceException) => {
    if (!opts.ifMissing || !['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(e.name)) throw e;
  });
}

/**
 * MinIO's refusal of a write for lost write quorum (503 SlowDownWrite): refused before anything
 * was kept. A description of it, or undefined for anything else.
 */
export function writeQuorumRefusal(err: unknown): string | undefined {
  const e = err as S3ServiceException | undefined;
  if (e?.name !== 'SlowDownWrite') return undefined;
  return `${e.name} (HTTP ${e.$metadata?.httpStatusCode}): ${e.message}`;
}

/** A write that certainly kept nothing: refused for quorum, or a connection refused before any node saw it. */
export function isDefiniteWriteFailure(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  return e?.name === 'SlowDownWrite' || e?.code === 'ECONNREFUSED' || e?.cause?.code === 'ECONNREFUSED';
}
