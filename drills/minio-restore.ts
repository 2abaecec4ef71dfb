// MinIO node loss, drive loss and site restore. Runbook: "MinIO restore" (seed, Disaster Recovery:
// MinIO RTO 1 h, RPO 0; HA: 4 nodes, EC:2 parity).
//
// Ledger: records written the way SLO-Scout's Flink file sink archives logs to MinIO — many records
// per object (a segment: one JSON line per record, up to 32, acknowledged by one PUT). Each record's
// payload SHA-256 is logged; the data check GETs every segment object of the run and compares the
// SHA-256 of every record in it. One object per record would measure MinIO's PUT ceiling on these
// cores (≈ 70–220 objects/s for 4 erasure-coded nodes on 2 cores), not the recovery.
//
// two-node-loss: SIGKILL 2 of the 4 nodes. With EC:2 on 4 drives the read quorum is 2 and the
//   write quorum 3: the timeline records reads still served and writes refused (SlowDownWrite);
//   after `restart-after` the nodes come back, heal, and every ledger object is on all 4 drives.
// drive-wipe: SIGKILL one node, remove everything on its drive (a replaced disk), restart it:
//   MinIO formats the new drive and heals it; full recovery = every ledger object back on that drive.
// site-restore: a second MinIO deployment (the DR site, started with the sandbox when
//   FIREDRILL_MINIO_DR_SITE=on) is kept in step by an asynchronous mirror. The primary's 4 nodes are
//   killed and their drives wiped; the primary is started empty and every object copied back from
//   the DR site. RPO = ledger objects missing after the restore (the mirror's backlog at T0),
//   reported as measured even though the target says 0; the recovery point is the listing time of
//   the last mirror cycle completed before T0.
import { createHash } from 'node:crypto';
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
import { membersDown } from '../src/drill/observe.ts';
import { defineDrill, type DrillEnv, type Fault, type LedgerRecord } from '../src/drill/definition.ts';
import type { ReadBackRecord } from '../src/measure/types.ts';
import { UserError } from '../src/util/errors.ts';
import { sleep } from '../src/util/wait.ts';

const COMPONENT = 'minio';
const DEFAULT_BUCKET = 'firedrill-ledger';

interface State {
  s3: S3Client;
  bucket: string;
  lastHealed?: string;
  lastRepairAt?: number;
  healingSince?: number;
}

interface MinioFault extends Fault {
  bucket: string;
  members: number[];
  wiped: number[];
  /** site-restore: the DR site's S3 endpoint. */
  dr?: string;
  /** When the fault command started (≈ T0). */
  firedAt?: number;
}

interface DrStatus {
  s3: string;
  running: { name: string; running: boolean }[];
  status: {
    cycles: { listedAt: number; completedAt: number; copied: number; objects: number }[];
    intervalMs: number;
  } | null;
  mirrorIntervalMs: number;
}

const bucketOf = (env: DrillEnv) => String(env.options.values.bucket ?? DEFAULT_BUCKET);

function s3(env: DrillEnv, endpoint?: string, timeoutMs = 2_000): S3Client {
  const info = env.platform.info(COMPONENT);
  return new S3Client({
    endpoint: endpoint ?? env.platform.endpoints(COMPONENT).s3,
    region: String(info.region ?? 'us-east-1'),
    forcePathStyle: true,
    credentials: { accessKeyId: String(info.rootUser), secretAccessKey: String(info.rootPassword) },
    // One attempt: a refused write must show up as refused, not be retried into a timeout.
    maxAttempts: 1,
    // Without throwOnRequestTimeout the SDK only logs a warning and keeps waiting.
    requestHandler: { requestTimeout: timeoutMs, throwOnRequestTimeout: true } as never,
  });
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Records per segment object (ledger.batch): enough for ≥ 1,000 records/s at MinIO's PUT rate here. */
const SEGMENT_RECORDS = 32;

/** A segment's key: its first record's key, so a run's segments list under the run's prefix. */
export const segmentKey = (records: LedgerRecord[]) => `${records[0]!.key}.seg${records.length}.jsonl`;

/** One PUT acknowledges every record of the segment, or none. Position: segment key and ETag. */
async function putSegment(s: State, records: LedgerRecord[]): Promise<{ position: string }[]> {
  const key = segmentKey(records);
  const r = await s.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: segmentBody(records) }));
  return records.map(() => ({ position: `${key} ${r.ETag}` }));
}

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

function action<T>(env: DrillEnv, name: string, args: Record<string, unknown> = {}): Promise<T> {
  if (!env.platform.action)
    throw new UserError(
      `the ${env.platform.ref.kind} platform offers no MinIO actions (drive wipe, DR site)`,
    );
  return env.platform.action(COMPONENT, name, args) as Promise<T>;
}

async function listKeys(c: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await c.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? []) out.push(o.Key!);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function allNodesUp(env: DrillEnv): Promise<boolean> {
  const h = await env.platform.health(COMPONENT);
  return h.length === 4 && h.every((m) => m.up && m.detail.includes('write quorum'));
}

/** Every object of the primary's bucket (all of it, not only this run's) on every node's drive. */
async function unhealed(env: DrillEnv, s: State): Promise<{ member: string; missing: string[] }[]> {
  const keys = await listKeys(s.s3, s.bucket);
  const out = [];
  for (const m of env.platform.members(COMPONENT)) {
    const present = new Set(
      await action<string[]>(env, 'drive-objects', { member: m.name, bucket: s.bucket }),
    );
    const missing = keys.filter((k) => !present.has(k));
    if (missing.length) out.push({ member: m.name, missing });
  }
  return out;
}

/** Copies every object of the DR site's bucket that the primary lacks: the restore. */
async function restoreFromDr(env: DrillEnv, f: MinioFault): Promise<{ copied: number; ms: number }> {
  const started = Date.now();
  const primary = s3(env, undefined, 10_000);
  const dr = s3(env, f.dr, 10_000);
  await primary.send(new CreateBucketCommand({ Bucket: f.bucket })).catch((e: S3ServiceException) => {
    if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(e.name)) throw e;
  });
  const have = new Set(await listKeys(primary, f.bucket));
  const todo = (await listKeys(dr, f.bucket)).filter((k) => !have.has(k));
  let next = 0;
  // 16 copies in flight: the restore is bound by round trips, not bandwidth (small objects).
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < todo.length) {
        const key = todo[next++]!;
        const obj = await dr.send(new GetObjectCommand({ Bucket: f.bucket, Key: key }));
        await primary.send(
          new PutObjectCommand({ Bucket: f.bucket, Key: key, Body: await obj.Body!.transformToByteArray() }),
        );
      }
    }),
  );
  primary.destroy();
  dr.destroy();
  return { copied: todo.length, ms: Date.now() - started };
}

/** Compensation: every node up (wiped drives are healed by MinIO), the data back where it was lost. */
async function ensureAllUp(env: DrillEnv, f: MinioFault): Promise<void> {
  await env.platform.restart(COMPONENT);
  if (f.dr) {
    // Whatever the DR site holds that the primary lacks goes back (idempotent).
    await restoreFromDr(env, f).catch((err: Error) =>
      env.log.warn({ error: err.message }, 'copy back from the DR site failed'),
    );
  }
}

export default defineDrill<State>({
  name: 'minio-restore',
  title: 'MinIO node loss, drive loss and site restore',
  hypothesis:
    'With 4 nodes and EC:2, MinIO keeps serving reads with 2 nodes down and refuses writes rather than losing them, heals a replaced drive back to every object, and a lost site is restored from the DR site within 1 h; asynchronous mirroring can lose its backlog, which the drill reports against the RPO 0 target.',
  target: { component: COMPONENT, scenario: 'restore' },
  variants: {
    'two-node-loss': { description: 'SIGKILL 2 of the 4 nodes: reads served, writes refused; restart, heal' },
    'drive-wipe': {
      description: 'SIGKILL a node, wipe its drive, restart it: healing restores every object',
    },
    'site-restore': {
      description: 'destroy the primary site (all 4 nodes and drives); restore it from the DR site',
    },
  },
  defaultVariant: 'two-node-loss',
  options: {
    bucket: {
      type: 'string',
      default: DEFAULT_BUCKET,
      description: `the ledger bucket; "${DEFAULT_BUCKET}" is created if missing, any other must exist`,
    },
    'restart-after': {
      type: 'duration',
      default: '8s',
      max: '1h',
      holdsFault: true,
      description:
        'how long killed nodes stay down before they are restarted (the StatefulSet recreating the pods)',
    },
  },
  probe: { intervalMs: 50, timeoutMs: 2_000, consecutiveOk: 5 },
  ledger: { concurrency: 4, minAckedBeforeFault: 100, batch: SEGMENT_RECORDS },
  needs: [COMPONENT],
  requires: {
    capabilities: ['kill', 'restart', 'actions'],
    actions: ['dr-status', 'drive-objects', 'wipe-drive'],
  },
  remediateAfterMs: (o) => o.number('restart-after'),

  async open(env) {
    return { s3: s3(env), bucket: bucketOf(env) };
  },

  async close(_env, s) {
    s.s3.destroy();
  },

  async preflight(env, s) {
    const exists = await s.s3.send(new HeadBucketCommand({ Bucket: s.bucket })).then(
      () => true,
      () => false,
    );
    if (!exists) {
      if (s.bucket !== DEFAULT_BUCKET) {
        const all = await s.s3.send(new ListBucketsCommand({})).then(
          (r) => (r.Buckets ?? []).map((b) => b.Name).join(', ') || 'none',
          () => 'unknown',
        );
        throw new UserError(
          `MinIO bucket "${s.bucket}" does not exist (buckets: ${all})`,
          `create it first, or drop --option bucket to use "${DEFAULT_BUCKET}"`,
        );
      }
      await s.s3.send(new CreateBucketCommand({ Bucket: s.bucket }));
    }
    if (!(await allNodesUp(env)))
      throw new UserError('not every MinIO node is up with write quorum', 'firedrill sandbox restart minio');
    if (env.variant === 'site-restore') {
      const dr = await action<DrStatus | null>(env, 'dr-status');
      if (!dr)
        throw new UserError(
          'the MinIO DR site is not configured: this sandbox runs no second MinIO deployment to restore from',
          'start the sandbox with FIREDRILL_MINIO_DR_SITE=on (a single-node DR site and its mirror)',
        );
      const down = dr.running.filter((r) => !r.running).map((r) => r.name);
      if (down.length)
        throw new UserError(`the MinIO DR site is configured but not running (${down.join(', ')} down)`);
      if (!dr.status?.cycles.length)
        throw new UserError(
          'the DR mirror has not completed a cycle yet: the DR site holds nothing to restore',
        );
    }
  },

  async canary(env, s) {
    const key = `canary/${env.runId}`;
    const body = String(Date.now());
    await s.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: body }));
    const got = await s.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: key }));
    if ((await got.Body!.transformToString()) !== body) throw new Error('canary read back a different body');
  },

  async write(_env, s, record) {
    const [position] = await putSegment(s, [record]);
    return position!;
  },

  writeBatch: (_env, s, records) => putSegment(s, records),

  isDefiniteFailure(err) {
    // MinIO answers SlowDownWrite (503) when write quorum is lost: refused before anything is kept.
    // A refused connection never reached a node.
    const e = err as { name?: string; code?: string; cause?: { code?: string } };
    return e?.name === 'SlowDownWrite' || e?.code === 'ECONNREFUSED' || e?.cause?.code === 'ECONNREFUSED';
  },

  async readBack(env, _s, prefix): Promise<ReadBackRecord[]> {
    const c = s3(env, undefined, 15_000);
    const bucket = bucketOf(env);
    const out: ReadBackRecord[] = [];
    const keys = await listKeys(c, bucket, prefix);
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(
        keys.slice(i, i + 16).map(async (key) => {
          const obj = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          out.push(...parseSegment(key, await obj.Body!.transformToByteArray()));
        }),
      );
    }
    c.destroy();
    return out;
  },

  async inject(env, s): Promise<MinioFault> {
    const base = { bucket: s.bucket, wiped: [] as number[] };
    if (env.variant === 'two-node-loss') {
      // Not node 0: it is the endpoint the clients use (a load balancer would route around it).
      const fault: MinioFault = {
        ...base,
        description: 'SIGKILL minio-1 and minio-2 (2 of 4 nodes, EC:2)',
        touched: ['minio/minio-1', 'minio/minio-2'],
        members: [1, 2],
      };
      await env.fire(fault, async () => {
        await env.platform.kill(COMPONENT, 1, 'SIGKILL');
        await env.platform.kill(COMPONENT, 2, 'SIGKILL');
      });
      // What clients see with 2 of 4 drives: reads of existing objects served, writes refused.
      const existing = (await listKeys(s.s3, s.bucket, `${env.runId}/`).catch(() => []))[0];
      const deadline = Date.now() + 20_000;
      let read = false;
      let refused = false;
      while (Date.now() < deadline && !(read && refused)) {
        if (!read && existing) {
          read = await s.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: existing })).then(
            async (o) => (await o.Body!.transformToByteArray(), true),
            () => false,
          );
          if (read) env.mark('reads-served', `GET ${existing} answered with 2 of 4 nodes down`);
        }
        if (!refused) {
          const err = await s.s3
            .send(
              new PutObjectCommand({ Bucket: s.bucket, Key: `probe/${env.runId}/${Date.now()}`, Body: 'x' }),
            )
            .then(
              () => undefined,
              (e: Error) => e,
            );
          if (err && (err as S3ServiceException).name === 'SlowDownWrite') {
            refused = true;
            env.mark(
              'writes-refused',
              `PUT refused: ${err.name} (HTTP ${(err as S3ServiceException).$metadata?.httpStatusCode}): ${err.message}`,
            );
          }
        }
        if (!(read && refused)) await sleep(250);
      }
      // Never silently: the hypothesis says writes are refused with 2 of 4 drives down.
      if (!refused)
        env.mark(
          'writes-not-refused',
          'no PUT was refused (SlowDownWrite) within 20 s of losing 2 of 4 nodes',
        );
      if (!read) env.mark('reads-not-served', 'no GET of an existing ledger object was answered within 20 s');
      return fault;
    }
    if (env.variant === 'drive-wipe') {
      const fault: MinioFault = {
        ...base,
        description: 'SIGKILL minio-3 and wipe its drive (a replaced disk)',
        touched: ['minio/minio-3'],
        members: [3],
        wiped: [3],
      };
      await env.fire(fault, async () => {
        await env.platform.kill(COMPONENT, 3, 'SIGKILL');
        const r = await action<{ removed: string[] }>(env, 'wipe-drive', { member: 3 });
        env.mark('drive-wiped', `minio-3: removed ${r.removed.join(', ')}`);
      });
      return fault;
    }
    const dr = (await action<DrStatus | null>(env, 'dr-status'))!;
    const fault: MinioFault = {
      ...base,
      description:
        'destroy the primary site: SIGKILL all 4 nodes and wipe every drive; restore from the DR site',
      touched: [0, 1, 2, 3].map((i) => `minio/minio-${i}`),
      members: [0, 1, 2, 3],
      wiped: [0, 1, 2, 3],
      dr: dr.s3,
    };
    await env.fire(fault, async () => {
      fault.firedAt = Date.now();
      for (const i of [0, 1, 2, 3]) await env.platform.kill(COMPONENT, i, 'SIGKILL');
      for (const i of [0, 1, 2, 3]) await action(env, 'wipe-drive', { member: i });
    });
    return fault;
  },

  async confirm(env, _s, fault) {
    const f = fault as MinioFault;
    return `down: ${await membersDown(
      env,
      COMPONENT,
      f.members.map((i) => `minio-${i}`),
    )}`;
  },

  async remediate(env, fault) {
    const f = fault as MinioFault;
    const restarted = await env.platform.restart(COMPONENT);
    env.mark('nodes-restarted', restarted.join(', ') || 'none were down');
    if (f.dr) {
      env.mark('restore-started', `copy every object from the DR site ${f.dr}`);
      const r = await restoreFromDr(env, f);
      env.mark('restored', `${r.copied} objects copied back in ${r.ms} ms`);
    }
  },

  async fullyRecovered(env, s, fault) {
    if (!(await allNodesUp(env))) return false;
    // Site restore: fully recovered once the DR copy is complete, not merely consistent so far.
    if ((fault as MinioFault).dr && !env.evidence.markers().some((m) => m.marker === 'restored'))
      return false;
    const left = await unhealed(env, s);
    const summary =
      left.map((l) => `${l.member}: ${l.missing.length} missing`).join('; ') || 'every object on every drive';
    if (summary !== s.lastHealed) {
      env.mark(left.length ? 'healing' : 'healed', summary);
      s.lastHealed = summary;
    }
    // MinIO heals a fresh drive by itself, and writes that missed a node through its MRF queue,
    // but not always all of them: what is left waits for the scanner, which heals only a sample
    // per cycle. The runbook's `mc admin heal` step, done the client's way: MinIO heals an object
    // on read when a drive lacks it. Issued 15 s after healing was first seen incomplete (MinIO's own healing goes first), then every 5 s.
    if (!left.length) s.healingSince = undefined;
    else s.healingSince ??= Date.now();
    if (left.length && Date.now() - s.healingSince! > 15_000 && Date.now() - (s.lastRepairAt ?? 0) > 5_000) {
      s.lastRepairAt = Date.now();
      const keys = [...new Set(left.flatMap((l) => l.missing))];
      for (const key of keys)
        await s.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: key })).then(
          (o) => o.Body!.transformToByteArray(),
          () => undefined,
        );
      env.mark('heal-on-read', `read ${keys.length} object(s) missing from a drive, so MinIO heals them`);
    }
    return left.length === 0;
  },

  async revert(env, fault) {
    await ensureAllUp(env, fault as MinioFault);
  },

  async recoveryPoint(env, _s, fault) {
    const f = fault as MinioFault;
    if (!f.dr) return null;
    const dr = await action<DrStatus | null>(env, 'dr-status');
    const t0 = f.firedAt;
    const cycles = dr?.status?.cycles ?? [];
    // The last mirror cycle that completed before the fault: everything listed then is at the DR site.
    const before = cycles.filter((c) => t0 === undefined || c.completedAt <= t0);
    return before.at(-1)?.listedAt ?? null;
  },

  async config(env, s) {
    const info = env.platform.info(COMPONENT);
    const dr = await action<DrStatus | null>(env, 'dr-status').catch(() => null);
    return {
      bucket: s.bucket,
      storageClass: info.storageClass,
      drives: info.drives,
      parity: info.parity,
      writeQuorum: info.writeQuorum,
      readQuorum: info.readQuorum,
      version: info.binaryVersion,
      replicationMode: dr
        ? `DR site ${dr.s3}: ${String((info.drSite as Record<string, unknown>)?.mirror)}, every ${dr.mirrorIntervalMs} ms`
        : 'none (no DR site)',
      restartAfterMs: env.options.values['restart-after'],
    };
  },
});
