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
import { defineDrill, type DrillEnv, type Fault } from '../src/drill/definition.ts';
import { membersDown } from '../src/drill/observe.ts';
import { actionsOf } from '../src/platform/call-action.ts';
import type { MinioActions } from '../src/systems/minio/actions.ts';
import {
  bucketExists,
  bucketNames,
  COMPONENT,
  createBucket,
  getBytes,
  getText,
  isDefiniteWriteFailure,
  listKeys,
  putObject,
  s3For,
  writeQuorumRefusal,
  type S3Client,
} from '../src/systems/minio/client.ts';
import { restoreFromDr } from '../src/systems/minio/copy.ts';
import { allNodesUp, unhealed } from '../src/systems/minio/evidence.ts';
import { lastMirroredListing } from '../src/systems/minio/mirror-status.ts';
import { putSegment, readSegments, SEGMENT_RECORDS } from '../src/systems/minio/segment.ts';
import { UserError } from '../src/util/errors.ts';
import { sleep } from '../src/util/wait.ts';

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

const bucketOf = (env: DrillEnv) => env.options.string('bucket');
const action = (env: DrillEnv) => actionsOf<MinioActions>(env.platform, COMPONENT);

/** Compensation: every node up (wiped drives are healed by MinIO), the data back where it was lost. */
async function ensureAllUp(env: DrillEnv, f: MinioFault): Promise<void> {
  await env.platform.restart(COMPONENT);
  if (f.dr) {
    // Whatever the DR site holds that the primary lacks goes back (idempotent).
    await restoreFromDr(env.platform, f.bucket, f.dr).catch((err: Error) =>
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
    return { s3: s3For(env.platform), bucket: bucketOf(env) };
  },

  async close(_env, s) {
    s.s3.destroy();
  },

  async preflight(env, s) {
    if (!(await bucketExists(s.s3, s.bucket))) {
      if (s.bucket !== DEFAULT_BUCKET) {
        const all = await bucketNames(s.s3).then(
          (names) => names.join(', ') || 'none',
          () => 'unknown',
        );
        throw new UserError(
          `MinIO bucket "${s.bucket}" does not exist (buckets: ${all})`,
          `create it first, or drop --option bucket to use "${DEFAULT_BUCKET}"`,
        );
      }
      await createBucket(s.s3, s.bucket);
    }
    if (!(await allNodesUp(env.platform)))
      throw new UserError('not every MinIO node is up with write quorum', 'firedrill sandbox restart minio');
    if (env.variant === 'site-restore') {
      const dr = await action(env)('dr-status');
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
    await putObject(s.s3, s.bucket, key, body);
    if ((await getText(s.s3, s.bucket, key)) !== body) throw new Error('canary read back a different body');
  },

  async write(_env, s, record) {
    const [position] = await putSegment(s.s3, s.bucket, [record]);
    return position!;
  },

  writeBatch: (_env, s, records) => putSegment(s.s3, s.bucket, records),

  // MinIO answers SlowDownWrite (503) when write quorum is lost: refused before anything is kept.
  // A refused connection never reached a node.
  isDefiniteFailure: isDefiniteWriteFailure,

  async readBack(env, _s, prefix) {
    const c = s3For(env.platform, undefined, 15_000);
    const out = await readSegments(c, bucketOf(env), prefix);
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
          read = await getBytes(s.s3, s.bucket, existing).then(
            () => true,
            () => false,
          );
          if (read) env.mark('reads-served', `GET ${existing} answered with 2 of 4 nodes down`);
        }
        if (!refused) {
          const refusal = await putObject(s.s3, s.bucket, `probe/${env.runId}/${Date.now()}`, 'x').then(
            () => undefined,
            (e: unknown) => writeQuorumRefusal(e),
          );
          if (refusal) {
            refused = true;
            env.mark('writes-refused', `PUT refused: ${refusal}`);
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
        const r = await action(env)('wipe-drive', { member: 3 });
        env.mark('drive-wiped', `minio-3: removed ${r.removed.join(', ')}`);
      });
      return fault;
    }
    const dr = (await action(env)('dr-status'))!;
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
      for (const i of [0, 1, 2, 3]) await action(env)('wipe-drive', { member: i });
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
      const r = await restoreFromDr(env.platform, f.bucket, f.dr);
      env.mark('restored', `${r.copied} objects copied back in ${r.ms} ms`);
    }
  },

  async fullyRecovered(env, s, fault) {
    if (!(await allNodesUp(env.platform))) return false;
    // Site restore: fully recovered once the DR copy is complete, not merely consistent so far.
    if ((fault as MinioFault).dr && !env.evidence.markers().some((m) => m.marker === 'restored'))
      return false;
    const left = await unhealed(env.platform, s.s3, s.bucket);
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
      for (const key of keys) await getBytes(s.s3, s.bucket, key).catch(() => undefined);
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
    const dr = await action(env)('dr-status');
    // The last mirror cycle that completed before the fault: everything listed then is at the DR site.
    return lastMirroredListing(dr?.status, f.firedAt);
  },

  async config(env, s) {
    const info = env.platform.info(COMPONENT);
    const dr = await action(env)('dr-status').catch(() => null);
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
