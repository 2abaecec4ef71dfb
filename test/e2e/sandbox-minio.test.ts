// MinIO in the sandbox, with the real S3 client: 4 nodes in one EC:2 erasure set, objects written
// and read back byte for byte, one node killed (reads and writes go on), a second node killed
// (reads go on, writes are refused: write quorum is 3 of 4), and restart healing the cluster.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { markedProcesses } from '../../src/platform/local/process.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import { waitFor } from '../../src/util/wait.ts';
import { minioClient, useSandbox } from './sandbox-harness.ts';

const sb = useSandbox('e2e-minio', ['minio']);
const BUCKET = 'e2e-drill';

const s3 = (endpoint?: string) => minioClient(sb.get().component('minio'), endpoint);

/** Resident memory of the given processes, summed, in MiB. */
function rssMiB(pids: number[]): number {
  const kib = pids.reduce(
    (sum, pid) => sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0),
    0,
  );
  return Math.round(kib / 1024);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// Deterministic content of several sizes: inline (small), a few erasure blocks, and > 5 MiB.
const objects: Record<string, Buffer> = {
  'small.txt': Buffer.from('firedrill minio e2e\n'),
  'block.bin': Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 31 + 7) & 0xff)),
  'big/random.bin': randomBytes(6 * 1024 * 1024 + 123),
};

async function get(client: S3Client, key: string): Promise<Uint8Array> {
  const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return res.Body!.transformToByteArray();
}

/**
 * GETs until the object is served (at most SETTLE_MS); returns it and the misses seen first. Once,
 * in a CI run, a GET 70 ms after the second node was killed (the read-quorum edge) answered
 * NoSuchKey for an object that exists; 6 runs after it saw no miss. A miss is tolerated that long
 * and reported; anything else, or a miss that lasts, fails.
 */
async function getEventually(client: S3Client, key: string): Promise<{ body: Uint8Array; misses: string[] }> {
  const misses: string[] = [];
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    try {
      return { body: await get(client, key), misses };
    } catch (err) {
      const transient =
        err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'SlowDownRead');
      if (!transient || Date.now() > deadline) throw err;
      misses.push(`${key}: ${err.name}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Every object of the test, byte for byte; returns the transient misses seen on the way. */
async function expectAllReadable(client: S3Client): Promise<string[]> {
  const misses: string[] = [];
  for (const key of Object.keys(objects)) {
    const got = await getEventually(client, key);
    misses.push(...got.misses);
    expect(got.body.length, key).toBe(objects[key]!.length);
    expect(sha256(got.body), key).toBe(sha256(objects[key]!));
  }
  return misses;
}

/**
 * PUTs until the write is accepted (at most SETTLE_MS); returns the refusals seen before it was.
 * Anything other than MinIO's quorum refusal fails at once.
 */
const SETTLE_MS = 15_000;
async function putEventually(client: S3Client, key: string, body: string | Uint8Array): Promise<string[]> {
  const refusals: string[] = [];
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    try {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      return refusals;
    } catch (err) {
      if (!(err instanceof S3ServiceException) || err.name !== 'SlowDownWrite' || Date.now() > deadline)
        throw err;
      refusals.push(`${err.name}: ${err.message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** HTTP status of a health endpoint on one node; throws when the node does not answer at all. */
async function healthStatus(nodeUrl: string, path: string): Promise<number> {
  const res = await fetch(`${nodeUrl}${path}`, { signal: AbortSignal.timeout(3_000) });
  return res.status;
}

const nodeUrl = (index: number) => sb.get().component('minio').endpoints.nodes!.split(',')[index]!;

describe('sandbox: minio', () => {
  it('runs 4 nodes in one erasure set with the parity of the topology model', async () => {
    const c = sb.get().component('minio');
    expect(c.members.map((m) => m.name)).toEqual(['minio-0', 'minio-1', 'minio-2', 'minio-3']);
    expect(c.info).toMatchObject({
      storageClass: 'EC:2',
      drives: 4,
      parity: 2,
      writeQuorum: 3,
      readQuorum: 2,
    });
    expect(c.endpoints.s3).toBe(nodeUrl(0));
    expect(c.endpoints.nodes!.split(',')).toHaveLength(4);
    for (const u of [...c.endpoints.nodes!.split(','), c.endpoints.console!])
      expect(u).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Random credentials, not MinIO's well-known defaults.
    expect(c.info.rootUser).not.toBe('minioadmin');
    expect(String(c.info.rootPassword).length).toBeGreaterThanOrEqual(24);

    const health = (await sb.get().status()).minio!;
    expect(health.map((h) => h.up)).toEqual([true, true, true, true]);
    for (const h of health) expect(h.detail).toContain('write quorum');
    for (let i = 0; i < 4; i++) expect(await healthStatus(nodeUrl(i), '/minio/health/cluster')).toBe(200);
  });

  it('stores objects and reads them back byte for byte', async () => {
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(new HeadBucketCommand({ Bucket: BUCKET }));
    for (const [key, body] of Object.entries(objects)) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    }
    await expectAllReadable(client);
    console.log(`[e2e-minio] RSS of the 4 nodes: ${rssMiB(markedProcesses(sb.get().state.id))} MiB`);
    // Every node serves the same namespace: read through another node's endpoint too.
    const viaOther = s3(nodeUrl(3));
    expect(sha256(await get(viaOther, 'big/random.bin'))).toBe(sha256(objects['big/random.bin']!));
  });

  it('one node killed: the node is gone, reads and writes go on (EC:2)', async () => {
    expect(await sb.get().kill('minio', 1)).toEqual(['minio-1']);
    // The node's own endpoint refuses connections…
    await expect(healthStatus(nodeUrl(1), '/minio/health/live')).rejects.toThrow();
    // …and the sandbox's health check reports it down.
    const health = (await sb.get().status()).minio!;
    expect(health.find((h) => h.member === 'minio-1')!.up).toBe(false);
    expect(health.filter((h) => h.up)).toHaveLength(3);

    const client = s3();
    await expectAllReadable(client);
    // 3 of 4 drives still meet the write quorum. On this shared 2-core host a write right after the
    // loss was once refused (SlowDownWrite) while the survivors' links settled: allow a short settle,
    // and say so when it happens, since that transient is itself worth knowing in a drill.
    const refusals = await putEventually(client, 'while-one-down.txt', 'written with 3 of 4 nodes');
    if (refusals.length)
      console.log(`[e2e-minio] 1 node down: ${refusals.length} write(s) refused first: ${refusals[0]}`);
    expect(Buffer.from(await get(client, 'while-one-down.txt')).toString()).toBe('written with 3 of 4 nodes');
    expect(await healthStatus(nodeUrl(0), '/minio/health/cluster')).toBe(200);
  });

  it('two nodes killed: reads are still served, writes are refused (write quorum 3)', async () => {
    expect(await sb.get().kill('minio', 2)).toEqual(['minio-2']);
    await expect(healthStatus(nodeUrl(2), '/minio/health/live')).rejects.toThrow();

    // The surviving nodes say so themselves: read quorum yes, write quorum no.
    await waitFor(
      'node 0 to report lost write quorum',
      async () => (await healthStatus(nodeUrl(0), '/minio/health/cluster')) === 503,
      {
        timeoutMs: 30_000,
      },
    );
    expect(await healthStatus(nodeUrl(0), '/minio/health/cluster/read')).toBe(200);
    const health = (await sb.get().status()).minio!;
    expect(health.map((h) => h.up)).toEqual([true, false, false, true]);
    expect(health[0]!.detail).toContain('writes refused');

    const client = s3();
    const misses = await expectAllReadable(client);
    const written = await getEventually(client, 'while-one-down.txt');
    misses.push(...written.misses);
    expect(Buffer.from(written.body).toString()).toBe('written with 3 of 4 nodes');
    if (misses.length)
      console.log(
        `[e2e-minio] 2 nodes down: ${misses.length} read(s) missed before served: ${misses.join(', ')}`,
      );

    const refused = await client
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'while-two-down.txt', Body: 'must not be stored' }))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused, 'a write with 2 of 4 nodes must be refused').toBeInstanceOf(S3ServiceException);
    expect((refused as S3ServiceException).$metadata.httpStatusCode).toBe(503);
    // MinIO's code for "insufficient write quorum" (503 Slow Down on a write).
    expect((refused as S3ServiceException).name).toBe('SlowDownWrite');
    console.log(
      `[e2e-minio] write with 2 nodes down refused: ${(refused as S3ServiceException).name}: ${(refused as Error).message}`,
    );
  });

  it('restart brings both nodes back and writes succeed again', async () => {
    const started = Date.now();
    expect(await sb.get().restart('minio')).toEqual(['minio-1', 'minio-2']);
    console.log(
      `[e2e-minio] restart of 2 nodes to write quorum: ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    for (let i = 0; i < 4; i++) expect(await healthStatus(nodeUrl(i), '/minio/health/cluster')).toBe(200);
    const health = (await sb.get().status()).minio!;
    expect(health.map((h) => h.up)).toEqual([true, true, true, true]);

    const client = s3();
    const body = randomBytes(256 * 1024);
    const refusals = await putEventually(client, 'after-restart.bin', body);
    if (refusals.length)
      console.log(`[e2e-minio] after restart: ${refusals.length} write(s) refused first: ${refusals[0]}`);
    expect(sha256(await get(client, 'after-restart.bin'))).toBe(sha256(body));
    await expectAllReadable(client);
    // The refused write left nothing behind.
    const missing = await get(client, 'while-two-down.txt').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((missing as S3ServiceException).name).toBe('NoSuchKey');
  });

  it('down leaves no process of the sandbox behind', async () => {
    const id = sb.get().state.id;
    expect(markedProcesses(id)).toHaveLength(4);
    await sb.get().down();
    expect(markedProcesses(id)).toEqual([]);
    expect(Sandbox.exists({ name: 'e2e-minio' })).toBe(false);
  });
});
